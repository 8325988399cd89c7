"""BG/BB: discrete-time purchase opportunities (beta-Bernoulli buying, beta-geometric death).

References
----------
FHS10  Fader, P.S., Hardie, B.G.S. & Shang, J. (2010). Customer-Base Analysis in a
       Discrete-Time Noncontractual Setting. Marketing Science 29(6), 1086-1108.

Data per customer: x transactions in n opportunities, the last at opportunity t_x
(t_x = 0 when x = 0). Parameters: alpha, beta (purchase probability p ~ Beta(alpha, beta))
and gamma, delta (death probability theta ~ Beta(gamma, delta)).
"""

from collections.abc import Mapping

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ._fit import (
    FitResult,
    as_float,
    build_result,
    by_unique_rows,
    give_back,
    unique_rows,
    unpack,
    wdot,
)

NAMES = ("alpha", "beta", "gamma", "delta")


def _check(x: object, t_x: object, n: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, n = np.broadcast_arrays(as_float("x", x), as_float("t_x", t_x), as_float("n", n))
    for name, v in (("x", x), ("t_x", t_x), ("n", n)):
        if np.any(v < 0) or np.any(v != np.round(v)):
            raise ValueError(f"{name} must be whole numbers >= 0")
    if np.any(x > t_x) or np.any(t_x > n) or np.any((x > 0) & (t_x == 0)):
        raise ValueError("need x <= t_x <= n, and t_x > 0 when x > 0")
    return x, t_x, n


def _dbetaln(a, b):
    """d betaln(a, b) / da and / db."""
    psi_ab = digamma(a + b)
    return digamma(a) - psi_ab, digamma(b) - psi_ab


def _terms(al, be, ga, de, x, t_x, n, grad):
    """Per-row ln L (FHS10, the likelihood of (x, t_x, n)) and its gradient, by
    log-sum-exp over its terms:

    L = B(al+x, be+n-x)/B(al,be) · B(ga, de+n)/B(ga,de)
        + sum_{i=0}^{n-t_x-1} B(al+x, be+t_x-x+i)/B(al,be) · B(ga+1, de+t_x+i)/B(ga,de).
    The sum is laid out as a (rows, max(n - t_x)) array with -inf past each row's end.
    """
    width = int(np.max(n - t_x)) if x.size else 0
    i = np.arange(width)
    valid = i[None, :] < (n - t_x)[:, None]
    norm = betaln(al, be) + betaln(ga, de)
    head = betaln(al + x, be + n - x) + betaln(ga, de + n) - norm
    xx = x[:, None]
    m_ = t_x[:, None] + i[None, :]  # opportunities survived before dying at m_ + 1
    with np.errstate(invalid="ignore"):
        body = betaln(al + xx, be + m_ - xx) + betaln(ga + 1.0, de + m_) - norm
    body = np.where(valid, body, -np.inf)
    all_terms = np.concatenate([head[:, None], body], axis=1)
    ll = np.logaddexp.reduce(all_terms, axis=1)
    if not grad:
        return ll, None
    w = np.exp(all_terms - ll[:, None])  # softmax weights, 0 past the end
    d_ab_a, d_ab_b = _dbetaln(al, be)
    d_gd_g, d_gd_d = _dbetaln(ga, de)
    da_h, db_h = _dbetaln(al + x, be + n - x)
    dg_h, dd_h = _dbetaln(ga, de + n)
    m_safe = np.where(valid, m_, t_x[:, None])
    da_b, db_b = _dbetaln(al + xx, be + m_safe - xx)
    dg_b, dd_b = _dbetaln(ga + 1.0, de + m_safe)
    wh, wb = w[:, 0], w[:, 1:]
    g = np.empty((4, x.size))
    g[0] = wh * da_h + (wb * da_b).sum(axis=1) - d_ab_a
    g[1] = wh * db_h + (wb * db_b).sum(axis=1) - d_ab_b
    g[2] = wh * dg_h + (wb * dg_b).sum(axis=1) - d_gd_g
    g[3] = wh * dd_h + (wb * dd_b).sum(axis=1) - d_gd_d
    return ll, g


def bgbb_log_likelihood(params: Mapping[str, float], x, t_x, n) -> np.ndarray:
    """Per-customer BG/BB log-likelihood (FHS10, the likelihood of (x, t_x, n)), summed in
    log space (lifetimes sums the beta functions themselves, which underflow once n
    reaches the hundreds). Evaluated once per distinct (x, t_x, n)."""
    al, be, ga, de = unpack(params, NAMES)

    def rows(x, t_x, n):
        x, t_x, n = _check(x, t_x, n)
        return _terms(al, be, ga, de, x, t_x, n, False)[0]

    return by_unique_rows(rows, (x, t_x, n))


def fit_bgbb(x, t_x, n, weights=None) -> FitResult:
    """Maximum likelihood BG/BB (FHS10 likelihood) on log-parameters, analytic gradient;
    rows compressed to unique (x, t_x, n)."""
    x, t_x, n = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, n)))
    (ux, ut, un), w, inverse = unique_rows(x.ravel(), t_x.ravel(), n.ravel(), weights=weights)
    give_back(inverse)  # for the next compression (the pool's arrays are warm)
    ux, ut, un = _check(ux, ut, un)

    def loglik_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = _terms(*np.exp(theta), ux, ut, un, True)
        return float(wdot(w, ll)), wdot(g, w) * np.exp(theta)

    return build_result("bgbb", NAMES, loglik_grad, np.zeros(4), float(w.sum()), ux.size)


def _p_alive_rows(al, be, ga, de, x, t_x, n):
    ll = _terms(al, be, ga, de, x, t_x, n, False)[0]
    num = betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + 1) - betaln(ga, de)
    return np.exp(np.minimum(num - ll, 0.0))


def bgbb_p_alive(params: Mapping[str, float], x, t_x, n) -> np.ndarray:
    """P(alive at opportunity n + 1 | x, t_x, n), FHS10 appendix eq. (A10):

    B(al+x, be+n-x)/B(al,be) · B(ga, de+n+1)/B(ga,de) / L(al, be, ga, de | x, t_x, n).
    Evaluated once per distinct (x, t_x, n).
    """
    al, be, ga, de = unpack(params, NAMES)

    def rows(x, t_x, n):
        x, t_x, n = _check(x, t_x, n)
        return _p_alive_rows(al, be, ga, de, x, t_x, n)

    return by_unique_rows(rows, (x, t_x, n))


def _expected_rows(al, be, ga, de, n_star, x, t_x, n):
    ll = _terms(al, be, ga, de, x, t_x, n, False)[0]
    lead = betaln(al + x + 1.0, be + n - x) - betaln(al, be) - ll
    lead = lead + np.log(de) + gammaln(ga + de) - gammaln(1.0 + de)
    big_a = gammaln(1.0 + de + n) - gammaln(ga + de + n)
    big_b = gammaln(1.0 + de + n + n_star) - gammaln(ga + de + n + n_star)
    if ga == 1.0:
        # limit of (e^A - e^B)/(gamma-1) as gamma -> 1: A = B = 0 and the derivative gives
        # psi(1+de+n+n*) - psi(1+de+n)
        bracket = digamma(1.0 + de + n + n_star) - digamma(1.0 + de + n)
        return np.exp(lead) * bracket
    bracket = -np.exp(big_a) * np.expm1(big_b - big_a) / (ga - 1.0)
    return np.exp(lead) * bracket


def bgbb_expected(params: Mapping[str, float], n_star, x, t_x, n) -> np.ndarray:
    """Expected transactions in the next n_star opportunities given (x, t_x, n), FHS10
    eq. (13):

    E = B(al+x+1, be+n-x)/B(al,be) · delta/(gamma-1) · Gamma(ga+de)/Gamma(1+de)
        · [Gamma(1+de+n)/Gamma(ga+de+n) - Gamma(1+de+n+n*)/Gamma(ga+de+n+n*)] / L.
    The bracket over (gamma - 1) is formed as -e^A expm1(B - A)/(gamma - 1) in logs; at
    gamma = 1 exactly it is replaced by its limit, the digamma difference. Evaluated once
    per distinct (x, t_x, n).
    """
    al, be, ga, de = unpack(params, NAMES)
    n_star = np.asarray(n_star, dtype=float)
    if np.any(n_star < 0):
        raise ValueError("n_star must be >= 0")

    def rows(n_star, x, t_x, n):
        x, t_x, n = _check(x, t_x, n)
        return _expected_rows(al, be, ga, de, n_star, x, t_x, n)

    return by_unique_rows(rows, (x, t_x, n), t=n_star)
