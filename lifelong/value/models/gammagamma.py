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

import numpy as np
from scipy.special import digamma, gammaln

from ._fit import FitResult, as_float, build_result, unique_rows, unpack, wdot

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


def fit_gammagamma(x, m, weights=None) -> FitResult:
    """Maximum likelihood Gamma-Gamma (FH13) on log-parameters, analytic gradient.

    x: repeat transactions (> 0; leave out customers without repeat purchases),
    m: their mean spend per repeat transaction.
    """
    x, m = _check(x, m)
    (ux, um), w, _ = unique_rows(x, m, weights=weights)

    def loglik_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, g = np.exp(theta)
        ll, gr = _terms(p, q, g, ux, um, True)
        return float(wdot(w, ll)), wdot(gr, w) * np.exp(theta)

    start = np.log([1.0, 1.0, max(float(np.average(um, weights=w)), 1e-6)])
    return build_result("gammagamma", NAMES, loglik_grad, start, float(w.sum()), ux.size)


def gammagamma_expected_spend(params: Mapping[str, float], x, m) -> np.ndarray:
    """E[Z | x, m_x], FH13 eq. (5): the posterior mean spend per transaction,

    E = (q-1)/(px+q-1) · p gamma/(q-1) + px/(px+q-1) · m_x = p (gamma + x m_x) / (px+q-1),
    a weighted average of the population mean and the customer's own mean. x = 0 gives the
    population mean p gamma/(q-1) (m is then ignored). Needs q > 1 for a finite mean.
    """
    p, q, g = unpack(params, NAMES)
    if q <= 1:
        raise ValueError("the population mean spend is infinite when q <= 1")
    x, m = np.broadcast_arrays(as_float("x", x), as_float("m", m))
    if np.any(x < 0):
        raise ValueError("x must be >= 0")
    m = np.where(x > 0, m, 0.0)
    return p * (g + x * m) / (p * x + q - 1.0)
