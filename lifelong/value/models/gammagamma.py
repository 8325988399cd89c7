"""Gamma-Gamma model of spend per transaction.

References
----------
FHL05b Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). RFM and CLV: Using Iso-Value
       Curves for Customer Base Analysis. Journal of Marketing Research 42(4), 415-430.
FH13   Fader, P.S. & Hardie, B.G.S. (2013). The Gamma-Gamma Model of Monetary Value.
       brucehardie.com/notes/025.

A customer's spends z_1..z_x are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers;
the data per customer are x (repeat transactions, > 0) and their mean m_x.
"""

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from ._fit import (
    FitResult,
    as_float,
    borrow,
    build_result,
    codes,
    give_back,
    unique_rows,
    unpack,
    wdot,
)

NAMES = ("p", "q", "gamma")


def _check(x: object, m: object) -> tuple[np.ndarray, np.ndarray]:
    x, m = np.broadcast_arrays(as_float("x", x), as_float("m", m))
    if np.any(x <= 0) or np.any(x != np.round(x)):
        raise ValueError("x must be whole numbers > 0 (repeat buyers only)")
    if np.any(m <= 0):
        raise ValueError("mean spend must be > 0")
    return x, m


def _terms(p, q, g, x, m, grad):
    px = p * x
    xm_g = x * m + g
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(xm_g)
    )
    if not grad:
        return ll, None
    psi = digamma(px + q)
    out = np.empty((3, *np.shape(x)))
    out[0] = x * (psi - digamma(px) + np.log(m) + np.log(x) - np.log(xm_g))
    out[1] = psi - digamma(q) + np.log(g) - np.log(xm_g)
    out[2] = q / g - (px + q) / xm_g
    return ll, out


def gammagamma_log_likelihood(params: Mapping[str, float], x, m) -> np.ndarray:
    """Per-customer log density of the mean spend m_x given x (FH13, the marginal
    density f(m_x | p, q, gamma; x), which lifetimes cites as eq. 1a):

    ln f = ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q) + q ln gamma + (px-1) ln m_x
           + px ln x - (px+q) ln(gamma + x m_x).
    """
    p, q, g = unpack(params, NAMES)
    x, m = _check(x, m)
    return _terms(p, q, g, x, m, False)[0]


def _start(x: np.ndarray, m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Log starting values from the moments of the mean spends.

    Given nu, m_x has mean p/nu and variance p/(x nu^2); over nu ~ Gamma(q, gamma),
    E[1/nu] = gamma/(q-1) and E[1/nu^2] = gamma^2/((q-1)(q-2)). So E[m] = p gamma/(q-1) and
    E[m^2 | x] = p^2 E[1/nu^2] + (p E[1/nu^2]) / x, a line in 1/x whose intercept over its
    slope is p. Where the moments do not give q > 2 (heavy tails, one x only) the start
    is p = 1, q = 2 and gamma = mean spend, as the likelihood is smooth.
    """
    mean = float(np.average(m, weights=w))
    fallback = np.log([1.0, 2.0, max(mean, 1e-6)])
    # weighted least squares of m^2 on 1/x, by hand (np.polyfit calls LAPACK)
    u = 1.0 / x
    mean_u = float(np.average(u, weights=w))
    mean_v = float(np.average(m * m, weights=w))
    du = u - mean_u
    spread = float(wdot(w, du * du))
    if not spread > 0:
        return fallback
    slope = float(wdot(w, du * (m * m - mean_v))) / spread
    intercept = mean_v - slope * mean_u
    if not (slope > 0 and intercept > 0):
        return fallback
    p = intercept / slope
    e1 = mean / p  # E[1/nu]
    e2 = slope / p  # E[1/nu^2]
    ratio = e2 / (e1 * e1)  # (q-1)/(q-2)
    if not (np.isfinite(ratio) and ratio > 1.0):
        return fallback
    q = (2.0 * ratio - 1.0) / (ratio - 1.0)
    g = e1 * (q - 1.0)
    values = np.array([p, q, g])
    if not np.all(np.isfinite(values) & (values > 0)):
        return fallback
    return np.log(values)


def _solve_negative_definite(hess: np.ndarray, grad: np.ndarray) -> np.ndarray | None:
    """(-hess)^-1 grad by a hand-written Cholesky factorisation of -hess (3x3: numpy's
    LAPACK would wake OpenBLAS's threads, see _fit.maximise); None unless -hess is
    positive definite."""
    a = -hess
    k = a.shape[0]
    low = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1):
            v = a[i, j] - sum(low[i, m] * low[j, m] for m in range(j))
            if i == j:
                if not v > 0:
                    return None
                low[i, i] = np.sqrt(v)
            else:
                low[i, j] = v / low[j, j]
    y = np.empty(k)
    for i in range(k):
        y[i] = (grad[i] - sum(low[i, j] * y[j] for j in range(i))) / low[i, i]
    out = np.empty(k)
    for i in reversed(range(k)):
        out[i] = (y[i] - sum(low[j, i] * out[j] for j in range(i + 1, k))) / low[i, i]
    return out


def _newton(evaluate, theta: np.ndarray, total: float) -> tuple[np.ndarray, int]:
    """Newton's method on the log-likelihood with its analytic Hessian, halving steps
    that do not improve it; a gradient step where the Hessian is not negative definite.
    Returns (log-parameters, iterations); the caller's BFGS then confirms the optimum
    (from which it takes no step) and provides the usual convergence report."""
    ll, grad, hess = evaluate(theta, 2)
    for iteration in range(1, 51):
        step = _solve_negative_definite(hess, grad)
        if step is None:
            step = grad / max(np.max(np.abs(grad)), 1e-300)
        t = 1.0
        while t > 1e-10:
            trial = theta + t * step
            if np.all(np.abs(trial) < 30.0):
                trial_ll = evaluate(trial, 0)[0]
                if np.isfinite(trial_ll) and trial_ll >= ll:
                    break
            t *= 0.5
        else:
            return theta, iteration
        theta = trial
        ll, grad, hess = evaluate(theta, 2)
        if np.max(np.abs(grad)) / total < 1e-11:
            return theta, iteration
    return theta, 50


def fit_gammagamma(x, m, weights=None) -> FitResult:
    """Maximum likelihood Gamma-Gamma (FH13) on log-parameters, analytic gradient.

    x: repeat transactions (> 0; leave out customers without repeat purchases),
    m: their mean spend per repeat transaction.

    The log-likelihood of _terms summed with weights, arranged for speed: rows are
    compressed to unique (x, m); the gamma functions of p x + q and p x ln x depend on
    x alone and are evaluated once per distinct x; the (p x - 1) ln m terms sum to
    p·sum(w x ln m) - sum(w ln m), constants; what is left per row and evaluation is
    ln(x m + gamma) and powers of 1/(x m + gamma). Newton's method with the analytic
    Hessian (_newton) from moment estimates (_start) finds the optimum in a handful of
    iterations; BFGS (maximise) then confirms it, and the standard errors are computed
    as for the other models.
    """
    x, m = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(m, dtype=float))
    (ux, um), w, inverse = unique_rows(x.ravel(), m.ravel(), weights=weights)
    give_back(inverse)  # for the next compression (the pool's arrays are warm)
    ux, um = _check(ux, um)
    xs, x_of = codes(ux)
    w_x = np.bincount(x_of, weights=w, minlength=xs.size)
    wx_x = w_x * xs
    wxx_x = wx_x * xs
    total = float(w.sum())
    log_xs = np.log(xs)
    xm = ux * um
    wx = w * ux
    log_m = np.log(um)
    sum_log_m = float(wdot(w, log_m))
    sum_x_log_m = float(wdot(wx, log_m))
    rows = np.stack([w, wx])

    def evaluate(theta: np.ndarray, order: int):
        """(ln L, gradient, Hessian) in log-parameters, the derivatives up to order."""
        p, q, g = np.exp(theta)
        px = p * xs
        y = xm + g
        # sums over rows of w ln y, w x ln y
        s_l, s_xl = wdot(rows, np.log(y))
        ll = (
            wdot(w_x, gammaln(px + q) - gammaln(px) + px * log_xs)
            + total * (q * np.log(g) - gammaln(q))
            + p * (sum_x_log_m - s_xl)
            - sum_log_m
            - q * s_l
        )
        if order == 0:
            return float(ll), None, None
        inv = 1.0 / y
        s_i, s_xi = wdot(rows, inv)
        psi = digamma(px + q)
        grad = np.array(
            [
                wdot(wx_x, psi - digamma(px) + log_xs) + sum_x_log_m - s_xl,
                wdot(w_x, psi) + total * (np.log(g) - digamma(q)) - s_l,
                total * q / g - p * s_xi - q * s_i,
            ]
        )
        scale = np.array([p, q, g])
        if order == 1:
            return float(ll), grad * scale, None
        s_ii, s_xii = wdot(rows, inv * inv)
        tri = polygamma(1, px + q)
        h = np.empty((3, 3))
        h[0, 0] = wdot(wxx_x, tri - polygamma(1, px))
        h[0, 1] = h[1, 0] = wdot(wx_x, tri)
        h[1, 1] = wdot(w_x, tri) - total * polygamma(1, q)
        h[0, 2] = h[2, 0] = -s_xi
        h[1, 2] = h[2, 1] = total / g - s_i
        h[2, 2] = -total * q / g**2 + p * s_xii + q * s_ii
        # in log-parameters: d2/dtheta2 = D H D + diag(D grad), D = diag(p, q, g)
        return float(ll), grad * scale, h * np.outer(scale, scale) + np.diag(grad * scale)

    def loglik_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad, _ = evaluate(theta, 1)
        return ll, grad

    start, newton_iterations = _newton(evaluate, _start(ux, um, w), total)
    result = build_result("gammagamma", NAMES, loglik_grad, start, total, ux.size)
    return replace(result, iterations=result.iterations + newton_iterations)


def gammagamma_expected_spend(params: Mapping[str, float], x, m) -> np.ndarray:
    """E[Z | x, m_x], FH13 eq. (5): the posterior mean spend per transaction,

    E = (q-1)/(px+q-1) · p gamma/(q-1) + px/(px+q-1) · m_x = p (gamma + x m_x) / (px+q-1),
    a weighted average of the population mean and the customer's own mean. x = 0 gives the
    population mean p gamma/(q-1) (m is then ignored). Needs q > 1 for a finite mean.

    Computed as (gamma + x m_x) / (x + (q-1)/p) in place, the inputs checked afterwards
    from the result (any NaN or infinity in x or m shows in its sum, a negative x in the
    minimum); only when that finds something are they checked row by row, for the error.
    Fewer arrays than the formula as written: on a busy machine each fresh temporary of a
    few hundred thousand rows can cost more than the arithmetic on it.
    """
    p, q, g = unpack(params, NAMES)
    if q <= 1:
        raise ValueError("the population mean spend is infinite when q <= 1")
    x_arr = np.asarray(x, dtype=float)
    m_arr = np.asarray(m, dtype=float)
    if x_arr.ndim == 1 and x_arr.shape == m_arr.shape and x_arr.size:
        with np.errstate(all="ignore"):  # bad input is found from the result below
            out = np.multiply(x_arr, m_arr)
            out += g
            den = borrow(x_arr.size, float)
            np.add(x_arr, (q - 1.0) / p, out=den)
            out /= den
        give_back(den)
        if x_arr.min() >= 0 and np.isfinite(out.sum()):
            return out
    x, m = np.broadcast_arrays(as_float("x", x), as_float("m", m))
    if np.any(x < 0):
        raise ValueError("x must be >= 0")
    m = np.where(x > 0, m, 0.0)
    return p * (g + x * m) / (p * x + q - 1.0)
