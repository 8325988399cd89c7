"""Pareto/NBD: exponential lifetimes and Poisson purchasing, both with gamma heterogeneity.

References
----------
SMC87  Schmittlein, D.C., Morrison, D.G. & Colombo, R. (1987). Counting Your Customers:
       Who Are They and What Will They Do Next? Management Science 33(1), 1-24.
FH05   Fader, P.S. & Hardie, B.G.S. (2005). A Note on Deriving the Pareto/NBD Model and
       Related Expressions. brucehardie.com/notes/009.
FHL05b Fader, Hardie & Lee (2005). RFM and CLV: Using Iso-Value Curves for Customer Base
       Analysis. Journal of Marketing Research 42(4), 415-430.

The likelihood (FH05 eq. 18) is
    L = Γ(r+x) alpha^r beta^s / Γ(r) · [(alpha+T)^-(r+x) (beta+T)^-s + s A0],
    A0 = ∫_{t_x}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy = J(t_x) - J(T),
where J(t) is the integral from t to infinity. FH05 eq. (19)-(20) write J with
2F1(r+s+x, ·; r+s+x+1; z), whose first parameter grows with x (scipy's hyp2f1 overflows
there and lifetimes' log of it becomes NaN). An Euler transformation (A&S 15.3.3) gives,
with p = r+s+x,
    alpha >= beta:  J(t) = (alpha+t)^-(r+x) (beta+t)^-s / p · 2F1(1, r+x; p+1; z),
                    z = (alpha-beta)/(alpha+t);
    alpha <  beta:  J(t) = (alpha+t)^-(r+x-1) (beta+t)^-(s+1) / p · 2F1(1, s+1; p+1; z),
                    z = (beta-alpha)/(beta+t):
series of positive, decreasing terms with z in [0, 1) (hyp2f1_1bc), summed with their
derivatives so that the gradient is analytic. A0 = J(t_x) - J(T) is formed in log space.
"""

from collections.abc import Mapping

import numpy as np
from scipy.special import digamma, exprel, gammaln

from ._fit import FitResult, build_result, by_unique_rows, unique_rows, unpack, wdot
from ._special import hyp2f1_1bc
from .bgnbd import _check, _times, _unique_checked

NAMES = ("r", "alpha", "s", "beta")


def _log_j(r, alpha, s, beta, x, t, grad):
    """ln J(t) (see the module docstring) and its gradient in (r, alpha, s, beta)."""
    p = r + s + x
    if alpha >= beta:
        bb, zz = r + x, (alpha - beta) / (alpha + t)
        e_a, e_b = r + x, s
    else:
        bb, zz = s + 1.0, (beta - alpha) / (beta + t)
        e_a, e_b = r + x - 1.0, s + 1.0
    log_f, f_b, f_c, f_z = hyp2f1_1bc(bb, p + 1.0, zz, grad=grad)
    log_at = np.log(alpha + t)
    log_bt = np.log(beta + t)
    lj = -e_a * log_at - e_b * log_bt - np.log(p) + log_f
    if not grad:
        return lj, None
    g = np.empty((4, *np.shape(lj)))
    # r and s enter through p (c = p + 1) and through b of the series.
    g[0] = -log_at - 1.0 / p + f_c
    g[2] = -log_bt - 1.0 / p + f_c
    if alpha >= beta:
        g[0] += f_b
        g[1] = -e_a / (alpha + t) + f_z * (beta + t) / (alpha + t) ** 2
        g[3] = -e_b / (beta + t) - f_z / (alpha + t)
    else:
        g[2] += f_b
        g[1] = -e_a / (alpha + t) - f_z / (beta + t)
        g[3] = -e_b / (beta + t) + f_z * (alpha + t) / (beta + t) ** 2
    return lj, g


def _pairs(x, t_x, T):
    """Distinct (x, t_x) pairs followed by distinct (x, T) pairs, and where each row's
    two are. Compressed apart: t_x and T each sit on a grid, but the two grids need not
    share their floats (days counted from the first purchase, ages from the end), and
    the two together would have to be sorted."""
    (ux1, ut1), _, inv1 = unique_rows(x, t_x, counts=False)
    (ux2, ut2), _, inv2 = unique_rows(x, T, counts=False)
    inv = np.concatenate([inv1, inv2 + ux1.size])
    return np.concatenate([ux1, ux2]), np.concatenate([ut1, ut2]), inv


def _terms(r, alpha, s, beta, x, t_x, T, grad, pairs=None):
    """Per-row ln L (FH05 eq. 18), ln P(alive) and, if grad, d ln L / d(r, alpha, s, beta).

    ln L = const + ln[e^l0 + s J(t_x) - s J(T)], all three in log space: the bracket is
    m = ln(e^l0 + e^l1 - e^l2) with l1 = ln s + ln J(t_x), l2 = ln s + ln J(T) <= l1.
    J only depends on (x, t), so it is computed once per distinct (x, t) among the t_x
    and T values.
    """
    n = x.size
    ux, ut, inv = _pairs(x, t_x, T) if pairs is None else pairs
    lj_u, gj_u = _log_j(r, alpha, s, beta, ux, ut, grad)
    lj1, lj2 = lj_u[inv[:n]], lj_u[inv[n:]]
    log_s = np.log(s)
    l0 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    l1 = log_s + lj1
    l2 = log_s + lj2
    # ln(e^l1 - e^l2) = l1 + ln(1 - e^(l2 - l1)); -inf when t_x = T (A0 = 0).
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.minimum(l2 - l1, 0.0)
        la0 = l1 + np.where(d > -np.log(2.0), np.log(-np.expm1(d)), np.log1p(-np.exp(d)))
    la0 = np.where(t_x < T, la0, -np.inf)
    m = np.logaddexp(l0, la0)
    const = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    ll = const + m
    log_p_alive = l0 - m
    if not grad:
        return ll, log_p_alive, None
    w0 = np.exp(l0 - m)
    w1 = np.where(t_x < T, np.exp(l1 - m), 0.0)
    w2 = np.where(t_x < T, np.exp(l2 - m), 0.0)
    g1, g2 = gj_u[:, inv[:n]], gj_u[:, inv[n:]]
    g = w1 * g1 - w2 * g2
    g[0] += digamma(r + x) - digamma(r) + np.log(alpha) - w0 * np.log(alpha + T)
    g[1] += r / alpha - w0 * (r + x) / (alpha + T)
    g[2] += np.log(beta) - w0 * np.log(beta + T) + (w1 - w2) / s
    g[3] += s / beta - w0 * s / (beta + T)
    return ll, log_p_alive, g


def paretonbd_log_likelihood(params: Mapping[str, float], x, t_x, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood, FH05 eq. (18) with A0 of eq. (19)-(20)
    evaluated as described in the module docstring: finite for any x, t_x <= T.
    Evaluated once per distinct (x, t_x, T)."""
    r, alpha, s, beta = unpack(params, NAMES)

    def rows(x, t_x, T):
        x, t_x, T = _check(x, t_x, T)
        return _terms(r, alpha, s, beta, x, t_x, T, False)[0]

    return by_unique_rows(rows, (x, t_x, T))


def fit_paretonbd(x, t_x, T, weights=None) -> FitResult:
    """Maximum likelihood Pareto/NBD (FH05 eq. 18) on log-parameters, analytic gradient.

    Rows are compressed to unique (x, t_x, T), and A0's series to unique (x, t).
    """
    (ux, ut, uT), w = _unique_checked(x, t_x, T, weights)
    pairs = _pairs(ux, ut, uT)

    def loglik_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, s, beta = np.exp(theta)
        ll, _, g = _terms(r, alpha, s, beta, ux, ut, uT, True, pairs)
        return float(wdot(w, ll)), wdot(g, w) * np.exp(theta)

    mean_t = max(float(np.average(uT, weights=w)), 1e-3)
    start = np.log([1.0, mean_t, 1.0, mean_t])
    return build_result("paretonbd", NAMES, loglik_grad, start, float(w.sum()), ux.size)


def _predict_rows(r, alpha, s, beta, t, x, t_x, T):
    """(E[Y(t) | x, t_x, T], P(alive)) on distinct rows, or P(alive) alone when t is None."""
    x, t_x, T = _check(x, t_x, T)
    p_alive = np.exp(_terms(r, alpha, s, beta, x, t_x, T, False)[1])
    if t is None:
        return p_alive
    big_l = np.log(beta + T) - np.log(beta + T + t)
    rate = (r + x) * (beta + T) / (alpha + T)
    return rate * (-big_l) * exprel((s - 1.0) * big_l) * p_alive, p_alive


def paretonbd_p_alive(params: Mapping[str, float], x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T), FH05 section 5.1 (eq. 36-37):

    P = (alpha+T)^-(r+x) (beta+T)^-s / [(alpha+T)^-(r+x) (beta+T)^-s + s A0], the share of
    the "still alive" term in the likelihood bracket, taken in log space. Evaluated once
    per distinct (x, t_x, T).
    """
    r, alpha, s, beta = unpack(params, NAMES)

    def rows(x, t_x, T):
        return _predict_rows(r, alpha, s, beta, None, x, t_x, T)

    return by_unique_rows(rows, (x, t_x, T))


def paretonbd_predict(params: Mapping[str, float], t, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """(paretonbd_expected(params, t, ...), paretonbd_p_alive(params, ...)) at the cost of
    one: the expectation is P(alive) times a rate, and P(alive)'s series (A0) is the
    expensive part. Evaluated once per distinct (x, t_x, T)."""
    r, alpha, s, beta = unpack(params, NAMES)
    t = _times(t)

    def rows(t, x, t_x, T):
        return _predict_rows(r, alpha, s, beta, t, x, t_x, T)

    customers = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, t_x, T))
    )
    expected, p_alive = by_unique_rows(rows, customers, t=t)
    if p_alive.shape != customers[0].shape:
        # t spread the customers over its own axes: P(alive) for the customers alone
        p_alive = paretonbd_p_alive(params, *customers)
    return expected, p_alive


def paretonbd_expected(params: Mapping[str, float], t, x, t_x, T) -> np.ndarray:
    """Expected purchases in (T, T+t] given (x, t_x, T), FH05 eq. (41):

    E = (r+x)(beta+T) / ((alpha+T)(s-1)) · [1 - ((beta+T)/(beta+T+t))^(s-1)] · P(alive).
    With u = s-1 and L = ln((beta+T)/(beta+T+t)) the bracket over (s-1) is -L·exprel(uL), which
    stays finite at s = 1 (where the formula's limit is ln((beta+T+t)/(beta+T))).
    """
    return paretonbd_predict(params, t, x, t_x, T)[0]


def paretonbd_expected_unconditional(params: Mapping[str, float], t) -> np.ndarray:
    """E[X(t)] for a new customer, FH05 eq. (27): rbeta/(alpha(s-1)) [1 - (beta/(beta+t))^(s-1)]."""
    r, alpha, s, beta = unpack(params, NAMES)
    t = np.asarray(t, dtype=float)
    big_l = np.log(beta) - np.log(beta + t)
    return r * beta / alpha * (-big_l) * exprel((s - 1.0) * big_l)
