"""BG/NBD and MBG/NBD: beta-geometric dropout after purchases, gamma-Poisson purchasing.

References
----------
FHL05  Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). "Counting Your Customers" the Easy
       Way: An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284.
FHL08  Fader, Hardie & Lee (2008). Computing P(alive) Using the BG/NBD Model.
       brucehardie.com/notes/021.
BDF07  Batislam, E.P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
       comparison of models for customer base analysis. IJRM 24(3), 201-209;
       with Wagner & Hoppe (2008), Erratum on the MBG/NBD model, IJRM 25(3), 225-226.

Both models share one implementation: MBG/NBD lets a customer drop out at time 0 as well,
which shifts x by one in the beta terms and drops the x > 0 indicator.
"""

from collections.abc import Mapping

import numpy as np
from scipy.special import betaln, digamma, expit, exprel, gammaln, logsumexp

from ._fit import (
    FitResult,
    as_float,
    borrow,
    build_result,
    by_unique_rows,
    codes,
    column_codes,
    give_back,
    unique_rows,
    unpack,
    wdot,
)
from ._special import hyp2f1_tail

NAMES = ("r", "alpha", "a", "b")

# exp of anything below this is 0 beside 1 (e^-700 ~ 1e-304), and exp is several times
# slower where its result underflows, so arguments are raised to it first
_EXP_FLOOR = -700.0


def _check(x: object, t_x: object, T: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = (as_float(n, v) for n, v in (("x", x), ("t_x", t_x), ("T", T)))
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("t_x must lie in [0, T]")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("t_x must be 0 when x is 0")
    return x, t_x, T


def _loglik_terms(
    r: float, alpha: float, a: float, b: float, x, t_x, T, modified: bool, grad: bool
):
    """Per-row log-likelihood (and gradient in natural parameters) of FHL05 eq. (6)."""
    shift = 1.0 if modified else 0.0
    has_second = np.ones_like(x, dtype=bool) if modified else x > 0
    log_aT = np.log(alpha + T)
    log_at = np.log(alpha + t_x)
    rx = r + x
    # b + x - 1 (BG/NBD, only where x > 0) or b + x (MBG/NBD); kept positive elsewhere.
    den = np.where(has_second, b + x - 1.0 + shift, 1.0)
    l1 = -rx * log_aT
    l2 = np.where(has_second, np.log(a) - np.log(den) - rx * log_at, -np.inf)
    m = np.logaddexp(l1, l2)
    ll = gammaln(rx) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + shift) - betaln(a, b) + m
    if not grad:
        return ll, None
    w1 = np.exp(l1 - m)
    w2 = np.exp(l2 - m)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + x + shift)
    g = np.empty((4, *np.shape(x)))
    g[0] = digamma(rx) - digamma(r) + np.log(alpha) - (w1 * log_aT + w2 * log_at)
    g[1] = r / alpha - rx * (w1 / (alpha + T) + w2 / (alpha + t_x))
    g[2] = psi_ab - psi_abx + w2 / a
    g[3] = digamma(b + x + shift) - digamma(b) + psi_ab - psi_abx - w2 / den
    return ll, g


def bgnbd_log_likelihood(params: Mapping[str, float], x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood, FHL05 eq. (6), in log space.

    ln L = ln Γ(r+x) - ln Γ(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
           + ln[(alpha+T)^-(r+x) + 1{x>0} a/(b+x-1) (alpha+t_x)^-(r+x)],
    the last term by np.logaddexp so that neither power underflows to 0.
    """
    r, alpha, a, b = unpack(params, NAMES)
    x, t_x, T = _check(x, t_x, T)
    return _loglik_terms(r, alpha, a, b, x, t_x, T, False, False)[0]


def mbgnbd_log_likelihood(params: Mapping[str, float], x, t_x, T) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihood, BDF07 Appendix A, in log space.

    ln L = ln Γ(r+x) - ln Γ(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b)
           + ln[(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)].
    """
    r, alpha, a, b = unpack(params, NAMES)
    x, t_x, T = _check(x, t_x, T)
    return _loglik_terms(r, alpha, a, b, x, t_x, T, True, False)[0]


def _fit_data(rx, rt, rT, w):
    """What _total_loglik_grad needs from the compressed rows (x, t_x, T) and weights w:
    codes per distinct x, t_x and T, per distinct (x, T) and (x, t_x) pair, and the
    weights summed per x and per (x, T) pair."""
    ux, x_of = codes(rx)
    ut, t_of = codes(rt)
    uT, T_of = codes(rT)
    (px, pT), _, xT_of = unique_rows(x_of.astype(float), T_of.astype(float), counts=False)
    (qx, qt), _, xt_of = unique_rows(x_of.astype(float), t_of.astype(float), counts=False)
    return {
        "ux": ux,
        "ut": ut,
        "uT": uT,
        "w": w,
        "w_x": np.bincount(x_of, weights=w, minlength=ux.size),
        # (x, T) pairs: their x and T (as indices into ux and uT), each row's pair and
        # the weight per pair; the same for (x, t_x)
        "xT": (px.astype(np.intp), pT.astype(np.intp), xT_of),
        "w_xT": np.bincount(xT_of, weights=w, minlength=px.size),
        "xt": (qx.astype(np.intp), qt.astype(np.intp), xt_of),
    }


def _total_loglik_grad(theta, data, modified):
    """Sum over compressed rows of ln L (FHL05 eq. 6) and its gradient in log-parameters.

    The same quantities as _loglik_terms summed with weights w, arranged for speed: the
    special functions depend on x only and are evaluated once per distinct x; the rest
    of ln L is l1 + softplus(d) with l1 = -(r+x) ln(alpha+T) and
    d = l2 - l1 = ln[a/(b+x-1)] + (r+x) ln(alpha+T) - (r+x) ln(alpha+t_x), whose two
    parts are tabulated per distinct (x, T) and (x, t_x) pair. Per row there remain two
    gathers, one exp and one log1p; the gradient's sums over rows are collected per pair
    (np.bincount) and finished on the small tables.
    """
    r, alpha, a, b = np.exp(theta)
    shift = 1.0 if modified else 0.0
    ux, ut, uT, w, w_x = data["ux"], data["ut"], data["uT"], data["w"], data["w_x"]
    px, pT, xT_of = data["xT"]
    qx, qt, xt_of = data["xt"]
    w_xT = data["w_xT"]
    # per distinct x
    rx_u = r + ux
    has_u = np.ones(ux.size, dtype=bool) if modified else ux > 0
    den_u = np.where(has_u, b + ux - 1.0 + shift, 1.0)
    log_ratio_u = np.where(has_u, np.log(a) - np.log(den_u), -np.inf)
    const_u = gammaln(rx_u) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux + shift)
    const_u -= betaln(a, b)
    # per distinct t_x and T, then per pair
    la_t = np.log(alpha + ut)
    la_T = np.log(alpha + uT)
    rx_xT = rx_u[px]
    la_xT = la_T[pT]
    rx_xt = rx_u[qx]
    la_xt = la_t[qt]
    head = log_ratio_u[px] + rx_xT * la_xT  # d = head[(x, T)] - tail[(x, t_x)]
    tail = rx_xt * la_xt
    # per row: d, softplus(d) = ln(1 + e^d) and expit(d), from one exp
    d = head.take(xT_of)
    d -= tail.take(xt_of)
    e = np.abs(d)
    np.negative(e, out=e)
    np.maximum(e, _EXP_FLOOR, out=e)  # see _alive; e^-700 is as good as 0 beside 1
    np.exp(e, out=e)  # e^-|d|
    # ln L - const = l1 + softplus(d), per row before summing (summed apart, the two
    # large sums would cancel to a noisier total, which stalls the line search)
    soft = np.log1p(e)
    soft += np.maximum(d, 0.0)
    soft -= (rx_xT * la_xT).take(xT_of)
    total = float(wdot(w_x, const_u) + wdot(w, soft))
    w2 = np.where(d >= 0.0, 1.0, e)
    e += 1.0
    w2 /= e  # expit(d): the weight of the second term
    w2 *= w
    s_xT = np.bincount(xT_of, weights=w2, minlength=px.size)  # sum of w·w2 per (x, T)
    s_xt = np.bincount(xt_of, weights=w2, minlength=qx.size)
    s1_xT = w_xT - s_xT  # sum of w·(1 - w2) per (x, T)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + ux + shift)
    g = np.empty(4)
    g[0] = wdot(w_x, digamma(rx_u) - digamma(r) + np.log(alpha))
    g[0] -= wdot(s1_xT, la_xT) + wdot(s_xt, la_xt)
    g[1] = w_x.sum() * r / alpha
    g[1] -= wdot(s1_xT, rx_xT / (alpha + uT[pT])) + wdot(s_xt, rx_xt / (alpha + ut[qt]))
    sum_w2_by_x = np.bincount(px, weights=s_xT, minlength=ux.size)
    g[2] = wdot(w_x, psi_ab - psi_abx) + sum_w2_by_x.sum() / a
    g[3] = wdot(w_x, digamma(b + ux + shift) - digamma(b) + psi_ab - psi_abx)
    g[3] -= wdot(sum_w2_by_x, 1.0 / den_u)
    return total, g * np.exp(theta)


def _unique_checked(x, t_x, T, weights):
    """The distinct (x, t_x, T) rows and their total weights, checked as _check does (on
    the distinct rows only, the same verdict for less work)."""
    x, t_x, T = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, t_x, T))
    )
    if weights is not None:
        weights = np.broadcast_to(np.asarray(weights, dtype=float), x.shape).ravel()
    (rx, rt, rT), w, inverse = unique_rows(x.ravel(), t_x.ravel(), T.ravel(), weights=weights)
    give_back(inverse)  # for the next compression or prediction: a warm array
    rx, rt, rT = _check(rx, rt, rT)
    return (rx, rt, rT), w


def _fit(model: str, modified: bool, x, t_x, T, weights) -> FitResult:
    (rx, rt, rT), w = _unique_checked(x, t_x, T, weights)
    data = _fit_data(rx, rt, rT, w)

    def loglik_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _total_loglik_grad(theta, data, modified)

    # Start from r = 1, alpha = mean T, a = 1, b = 1 (in log space); the likelihood is
    # smooth enough that L-BFGS-B needs no better guess.
    start = np.log([1.0, max(float(np.average(rT, weights=w)), 1e-3), 1.0, 1.0])
    return build_result(model, NAMES, loglik_grad, start, float(w.sum()), rx.size)


def fit_bgnbd(x, t_x, T, weights=None) -> FitResult:
    """Maximum likelihood BG/NBD (FHL05 eq. 6-7) on log-parameters with analytic gradients.

    x: repeat purchases, t_x: time of the last purchase, T: time since the first purchase,
    all in the same unit; weights: how many customers each row stands for. Rows are
    compressed to unique (x, t_x, T) first.
    """
    return _fit("bgnbd", False, x, t_x, T, weights)


def fit_mbgnbd(x, t_x, T, weights=None) -> FitResult:
    """Maximum likelihood MBG/NBD (BDF07 Appendix A), as fit_bgnbd."""
    return _fit("mbgnbd", True, x, t_x, T, weights)


def _log_odds_dead(r, alpha, a, b, x, t_x, T, modified):
    """ln of P(dead)/P(alive): ln[a/(b+x-1)] + (r+x) ln[(alpha+T)/(alpha+t_x)] (FHL08)."""
    shift = 1.0 if modified else 0.0
    has_second = np.ones_like(x, dtype=bool) if modified else x > 0
    den = np.where(has_second, b + x - 1.0 + shift, 1.0)
    lo = np.log(a) - np.log(den) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(has_second, lo, -np.inf)


def _times(t: object) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("t must be finite and >= 0")
    return t


def _p_alive_rows(r, alpha, a, b, modified, x, t_x, T):
    x, t_x, T = _check(x, t_x, T)
    return _alive(_log_odds_dead(r, alpha, a, b, x, t_x, T, modified))


def _alive(log_odds_dead: np.ndarray) -> np.ndarray:
    """expit(-log_odds_dead) = 1 / (1 + e^log_odds_dead), in place, as _by_columns has it
    (a third of the time of scipy's expit). Log-odds below -700 (-inf for BG/NBD's
    customers without repeat purchases) are raised to -700 first, which gives the same
    1.0: exp is several times slower on inputs whose result underflows."""
    np.maximum(log_odds_dead, _EXP_FLOOR, out=log_odds_dead)
    with np.errstate(over="ignore"):
        out = np.exp(log_odds_dead, out=log_odds_dead)
    out += 1.0
    return np.reciprocal(out, out=out)


def _predict_rows(r, alpha, a, b, modified, t, x, t_x, T):
    """(E[Y(t) | x, t_x, T], P(alive)) on distinct rows: P(alive) per row, the bracket of
    _expected once per distinct (x, T) (or (t, x, T) when t comes one per row)."""
    p_alive = _p_alive_rows(r, alpha, a, b, modified, x, t_x, T)
    shift = 1.0 if modified else 0.0
    if t.ndim and t.shape[-1] != 1:  # one t per row
        (pt, px, pT), _, pair = unique_rows(t, x, T, counts=False)
    else:
        (px, pT), _, pair = unique_rows(x, T, counts=False)
        pt = t
    bracket = _bracket(r, alpha, a, b, pt, px, pT, shift)
    return bracket.take(pair, axis=-1) * p_alive, p_alive


def _by_columns(r, alpha, a, b, modified, t, x, t_x, T):
    """(E[Y(t) | x, t_x, T], P(alive)) for 1-D customers from per-column codes, or None
    when the (x, T) pairs would need too large a table (the caller compresses rows).

    Cheaper than compressing whole rows: P(alive) is expit(-[A(x) + R(x)(L(T) - L(t_x))])
    (_log_odds_dead) with A, R and L evaluated per distinct value and gathered per
    customer, one exp each; the expectation's bracket depends on (x, T) only and is
    evaluated once per distinct pair. t is a scalar or a column of times (k, 1); with t
    None only P(alive) is computed (and the first item is None).
    """
    n = x.size
    (x_tab, cx, x_ok), (t_tab, ct, t_ok), (T_tab, cT, T_ok) = column_codes(x, t_x, T)
    work = [cx, ct, cT]
    try:
        _check_columns(t_x, T, (x_tab, x_ok), (t_tab, t_ok), (T_tab, T_ok), cx, work)
        shift = 1.0 if modified else 0.0
        has = np.ones(x_tab.shape, dtype=bool) if modified else x_tab > 0
        with np.errstate(invalid="ignore", divide="ignore"):  # unused slots may be NaN
            den = np.where(has, b + x_tab - 1.0 + shift, 1.0)
            odds_x = np.where(has, np.log(a) - np.log(den), -np.inf)  # ln a/(b+x-1+s)
            log_at = np.log(alpha + t_tab)
            log_aT = np.log(alpha + T_tab)
        # the log-odds of dead, odds_x + (r + x)(ln(alpha+T) - ln(alpha+t_x)), in place
        p_alive = log_aT.take(cT)
        part = borrow(n, float)
        work.append(part)
        np.take(log_at, ct, out=part, mode="clip")
        p_alive -= part
        np.take(r + x_tab, cx, out=part, mode="clip")
        p_alive *= part
        np.take(odds_x, cx, out=part, mode="clip")
        p_alive += part
        p_alive = _alive(p_alive)
        if t is None:
            return None, p_alive
        space = x_tab.size * T_tab.size
        if space > max(_PAIRS_PER_ROW * n, _PAIRS_MIN):
            return None
        pair = cx  # x's codes are not needed any more: the pairs' codes replace them
        pair *= T_tab.size
        pair += cT
        present = np.zeros(space, dtype=bool)
        present[pair] = True
        used = np.flatnonzero(present)
        px, pT = x_tab[used // T_tab.size], T_tab[used % T_tab.size]
        bracket = _bracket(r, alpha, a, b, t, px, pT, shift)
        full = np.zeros((*bracket.shape[:-1], space))
        full[..., used] = bracket
        expected = full.take(pair, axis=-1)
        expected *= p_alive
        return expected, p_alive
    finally:
        give_back(*work)


# (x, T) pairs are tabulated while their key space is below this many per customer
# (or _PAIRS_MIN whatever the count)
_PAIRS_PER_ROW = 8
_PAIRS_MIN = 2**16


def _check_columns(t_x, T, x_col, t_col, T_col, cx, work):
    """_check's verdict from the column tables, and from the rows where it needs them
    (t_x <= T; t_x = 0 where x = 0). Unused table slots are NaN or whole numbers
    between used ones, which pass every test on values."""
    for name, (_, finite) in (("x", x_col), ("t_x", t_col), ("T", T_col)):
        if not finite:
            raise ValueError(f"{name} must be finite")
    xs = x_col[0][~np.isnan(x_col[0])]
    if np.any(xs < 0) or np.any(xs != np.round(xs)):
        raise ValueError("x must be whole numbers >= 0")
    flags = borrow(t_x.size, bool)
    work.append(flags)
    if np.any(t_col[0] < 0) or np.greater(t_x, T, out=flags).any():
        raise ValueError("t_x must lie in [0, T]")
    zero = np.flatnonzero(x_col[0] == 0)
    if zero.size:
        nonzero_t = borrow(t_x.size, bool)
        work.append(nonzero_t)
        np.equal(cx, zero[0], out=flags)
        np.not_equal(t_x, 0.0, out=nonzero_t)
        flags &= nonzero_t
        if flags.any():
            raise ValueError("t_x must be 0 when x is 0")


def _predict(params, modified, t, x, t_x, T):
    r, alpha, a, b = unpack(params, NAMES)
    t = _times(t)
    customers = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, t_x, T))
    )
    shape = customers[0].shape
    if t.ndim == 0 or (len(shape) == 1 and t.shape[-1] == 1):
        done = _by_columns(r, alpha, a, b, modified, t, *(c.ravel() for c in customers))
        if done is not None:
            expected, p_alive = done
            return expected.reshape(*expected.shape[:-1], *shape), p_alive.reshape(shape)

    def rows(t, x, t_x, T):
        return _predict_rows(r, alpha, a, b, modified, t, x, t_x, T)

    expected, p_alive = by_unique_rows(rows, customers, t=t)
    if p_alive.shape != shape:
        # t spread the customers over its own axes: P(alive) for the customers alone
        p_alive = _p_alive(params, modified, *customers)
    return expected, p_alive


def _p_alive(params, modified, x, t_x, T):
    r, alpha, a, b = unpack(params, NAMES)
    customers = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, t_x, T))
    )
    flat = (c.ravel() for c in customers)
    return _by_columns(r, alpha, a, b, modified, None, *flat)[1].reshape(customers[0].shape)


def bgnbd_p_alive(params: Mapping[str, float], x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) under BG/NBD (FHL08, note 021), as expit(-log-odds).

    P = 1 / (1 + 1{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)); the power is never formed, so
    large x cannot overflow. Evaluated once per distinct (x, t_x, T).
    """
    return _p_alive(params, False, x, t_x, T)


def mbgnbd_p_alive(params: Mapping[str, float], x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) under MBG/NBD, BDF07 Appendix A eq. (5) (a/(b+x), no 1{x>0})."""
    return _p_alive(params, True, x, t_x, T)


def _expected(r, alpha, a, b, t, x, t_x, T, modified):
    """E[Y(t) | x, t_x, T], row by row: _bracket(t, x, T) · P(alive | x, t_x, T)."""
    shift = 1.0 if modified else 0.0
    t = _times(t)
    t, x, t_x, T = np.broadcast_arrays(t, x, t_x, T)
    p_alive = expit(-_log_odds_dead(r, alpha, a, b, x, t_x, T, modified))
    return _bracket(r, alpha, a, b, t, x, T, shift) * p_alive


def _bracket(r, alpha, a, b, t, x, T, shift):
    """E[Y(t) | x, t_x, T] / P(alive): FHL05 eq. (10) (BG/NBD) or BDF07 as corrected by
    Wagner & Hoppe (2008) (MBG/NBD), which depends on (t, x, T) only.

    E = C/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+s; C; z)] · P(alive), with
    z = t/(alpha+T+t), C = a+b+x-1+s and s = 0 (BG/NBD) or 1 (MBG/NBD). Euler's transformation
    (A&S 15.3.3) turns the bracket into 1 - (1-z)^(a-1) 2F1(C-r-x, a-1; C; z), whose
    parameters stay small however large x is (scipy's hyp2f1 on the original overflows to
    inf, times a power that underflows to 0: the NaN lifetimes returns). Writing
    u = a - 1, L = ln(1-z) and S = C [2F1 - 1]/u (hyp2f1_tail), the whole is
    E = [-C L exprel(uL) - e^(uL) S] · P(alive), finite at a = 1 and at C = 0. Where that
    series would cancel or crawl, _quadrature_bracket integrates the same bracket.
    Returns the bracket, clipped at 0, shaped like the broadcast of t, x and T.
    """
    t, x, T = np.broadcast_arrays(t, x, T)
    c = a + b + x - 1.0 + shift
    u = a - 1.0
    z = t / (alpha + T + t)
    log1mz = np.log1p(-z)  # = ln((alpha+T)/(alpha+T+t))
    a_prime = a + b - 1.0 + shift - r  # C - r - x, the same for every row
    bracket = np.empty(z.shape)
    # The Euler form's series alternates while k < -a', so when a' = a+b-1-r+s is below
    # -1 (r large against a + b) its terms cancel catastrophically; for -1 <= a' < 0 all
    # its terms have one sign, but with z within 2e-4 of 1 it could need hundreds of
    # thousands of them. There the bracket is integrated over p instead
    # (_quadrature_bracket), in chunks of rows. (The quadrature resolves a concentrated
    # Beta(a, b+x) less well, 1e-6 against the series at a = 32, b + x = 185: it used to
    # take over from (r+x) z/(1-z) > 5e3 on, which made the expectation dip there.)
    slow = z / (1.0 - z) > 5e3
    direct = (a_prime < -1.0) | ((a_prime < 0) & slow)
    if a > _CONCENTRATED:
        # The series needs ~a terms; p is then concentrated (see _concentrated_bracket).
        ratio = t / (alpha + T)
        bracket = _concentrated_bracket(r, a, b, x, shift, ratio)
        direct = np.zeros(z.shape, dtype=bool)
        e = direct
    else:
        e = ~direct
    sign, log_s = hyp2f1_tail(a_prime, u, c[e], z[e])
    bracket[e] = -c[e] * log1mz[e] * exprel(u * log1mz[e]) - sign * np.exp(u * log1mz[e] + log_s)
    # t, x and T may be 2-D (a column of times against a row of customers, as CLV asks
    # for): index their flattened forms.
    idx = np.flatnonzero(direct)
    flat_bracket, flat_t, flat_x, flat_T = bracket.reshape(-1), t.ravel(), x.ravel(), T.ravel()
    for start in range(0, idx.size, 4096):
        rows = idx[start : start + 4096]
        ratio = flat_t[rows] / (alpha + flat_T[rows])
        flat_bracket[rows] = _quadrature_bracket(r, a, b, flat_x[rows], shift, ratio)
    return np.maximum(bracket, 0.0)


# tanh-sinh nodes on (0, 1) in log form: s = k h for |s| <= 8 reaches p = exp(-4683), far
# enough that even a = 0.01, whose p^(a-1) mass crowds at 0, loses under 1e-20 of it.
_TS_S = np.arange(-128, 129) / 16.0
_TS_Y = np.pi * np.sinh(_TS_S)
_TS_LOG_P = -np.logaddexp(0.0, -_TS_Y)  # ln p
_TS_LOG_Q = -np.logaddexp(0.0, _TS_Y)  # ln(1 - p)
_TS_LOG_W = np.log(np.pi / 16.0 * np.cosh(_TS_S)) + _TS_LOG_P + _TS_LOG_Q  # ln(h dp/ds)


def _quadrature_bracket(r, a, b, x, shift, c):
    """E[(1 - (1 + p c)^-(r+x)) / p] for p ~ Beta(a, b+x+s), by tanh-sinh quadrature.

    Given alive, p ~ Beta(a, b+x+s) and lambda ~ Gamma(r+x, alpha+T), and an alive
    customer makes (1 - e^(-lambda p t))/p purchases in t on average (FHL05 section 3);
    integrating lambda out leaves this one-dimensional integral with c = t/(alpha+T).
    It is the bracket of FHL05 eq. (10) without any series: used where the series
    would cancel (a' << 0) or need hundreds of thousands of terms (z -> 1). Every node's
    integrand increases with c, so the result increases with t exactly.
    """
    big_r = r + x[:, None]
    log_c = np.log(np.maximum(c, 1e-300))[:, None]
    log_pc = _TS_LOG_P + log_c
    with np.errstate(all="ignore"):
        # ln(1 - (1 + pc)^-R), with its small-pc form R pc where 1 + pc rounds to 1
        exact = np.log(-np.expm1(-big_r * np.log1p(np.exp(log_pc))))
        small = np.log(big_r) + log_pc + np.log1p(-0.5 * (big_r + 1.0) * np.exp(log_pc))
    log_g = np.where(log_pc < -18.0, small, exact)
    bb = b + x[:, None] + shift
    log_terms = (a - 2.0) * _TS_LOG_P + (bb - 1.0) * _TS_LOG_Q + log_g + _TS_LOG_W
    out = np.exp(logsumexp(log_terms, axis=1) - betaln(a, bb[:, 0]))
    return np.where(c > 0, out, 0.0)


# Above this a, p ~ Beta(a, b+x) is concentrated: its sd is below 1% of its mean.
_CONCENTRATED = 1e4
_GH_Y, _GH_W = np.polynomial.hermite.hermgauss(24)


def _concentrated_bracket(r, a, b, x, shift, c):
    """E[(1 - (1 + p c)^-(r+x)) / p] for p ~ Beta(a, b+x+s) with a large, by 24-point
    Gauss-Hermite quadrature on the normal approximation of p (mean mu, sd sigma).

    The series of _expected needs about a terms, which a fit can push into the millions
    when the data show no spread in dropout (a, b -> infinity, a/(a+b) fixed). For
    a > 1e4, sigma/mu < 1/sqrt(a) = 1% and the integrand is smooth on that scale; against
    the series the result agrees to 1e-5 relative (worst near p = 1, where the beta is
    skewed), to 1e-8 elsewhere. Nodes are kept inside (0, 1].
    """
    bb = b + np.asarray(x, dtype=float) + shift
    n = a + bb
    mu = a / n
    sigma = np.sqrt(a * bb / (n * n * (n + 1.0)))
    p = np.clip(mu[..., None] + np.sqrt(2.0) * sigma[..., None] * _GH_Y, 1e-300, 1.0)
    big_r = (r + np.asarray(x, dtype=float))[..., None]
    h = -np.expm1(-big_r * np.log1p(p * np.asarray(c, dtype=float)[..., None])) / p
    return (h * _GH_W).sum(axis=-1) / np.sqrt(np.pi)


def bgnbd_expected(params: Mapping[str, float], t, x, t_x, T) -> np.ndarray:
    """Expected purchases in (T, T+t] for a customer with history (x, t_x, T), FHL05 eq. (10).

    Computed through hyp2f1_tail after Euler's transformation (see _bracket): finite for
    any x, t_x = T and large T or t. The series runs once per distinct (x, T) (with t a
    scalar or a column of times) and P(alive) once per distinct (x, t_x, T).
    """
    return _predict(params, False, t, x, t_x, T)[0]


def mbgnbd_expected(params: Mapping[str, float], t, x, t_x, T) -> np.ndarray:
    """Expected purchases in (T, T+t] under MBG/NBD: BDF07 Appendix A, as corrected by
    Wagner & Hoppe (2008); computed as bgnbd_expected."""
    return _predict(params, True, t, x, t_x, T)[0]


def bgnbd_predict(params: Mapping[str, float], t, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """(bgnbd_expected(params, t, ...), bgnbd_p_alive(params, ...)) from one pass over the
    customers: the expectation is P(alive) times a factor of (t, x, T), so asking for
    both costs little more than one."""
    return _predict(params, False, t, x, t_x, T)


def mbgnbd_predict(params: Mapping[str, float], t, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """(mbgnbd_expected(params, t, ...), mbgnbd_p_alive(params, ...)), as bgnbd_predict."""
    return _predict(params, True, t, x, t_x, T)


def bgnbd_expected_unconditional(params: Mapping[str, float], t) -> np.ndarray:
    """E[X(t)] for a new customer, FHL05 eq. (9): the conditional formula at x = t_x = T = 0."""
    r, alpha, a, b = unpack(params, NAMES)
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return _expected(r, alpha, a, b, t, zero, zero, zero, False)


def simulate_bgnbd(
    params: Mapping[str, float],
    n: int,
    T,
    rng: np.random.Generator,
    *,
    resolution: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw (x, t_x, T) for n customers from the BG/NBD generative story (FHL05 section 3).

    lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b); purchases arrive as a Poisson
    process of rate lambda and after each one the customer drops out with probability p.
    Drawn without a loop: x is the Poisson count in (0, T] capped by the geometric number
    of purchases made before dropping out, and t_x, the x-th of the Poisson count's
    uniform arrival times, is T times a Beta(x, count - x + 1) draw.
    T is a scalar or an array of n ages. resolution, if given, floors times to that grid
    (e.g. 1/7 for days when the unit is weeks), which is what makes real data compress.
    """
    r, alpha, a, b = unpack(params, NAMES)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    # The customer drops out right after repeat purchase k, k ~ Geometric(p) on 1, 2, ...
    alive_purchases = rng.geometric(np.clip(p, 1e-12, 1.0))
    poisson = rng.poisson(lam * T)
    x = np.minimum(poisson, alive_purchases).astype(float)
    # t_x: the x-th arrival of the Poisson process in (0, T] given `poisson` arrivals there
    # is the x-th order statistic of `poisson` uniforms, i.e. T·Beta(x, poisson - x + 1).
    has = x > 0
    t_x = np.zeros(n)
    t_x[has] = T[has] * rng.beta(x[has], poisson[has] - x[has] + 1.0)
    if resolution is not None:
        t_x = np.floor(t_x / resolution) * resolution
        T = np.floor(T / resolution) * resolution
        t_x = np.minimum(t_x, T)
    return x, t_x, T


if __name__ == "__main__":
    # Quick timing (python -m lifelong.value.models.bgnbd): fits on populations simulated
    # from the CDNOW BG/NBD estimates, first purchases spread over 12 weeks, day grid.
    import time

    from .paretonbd import fit_paretonbd

    cdnow = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    rng = np.random.default_rng(2005)
    for size in (100_000, 1_000_000):
        age = 39.0 - np.floor(rng.uniform(0, 84, size)) / 7
        data = simulate_bgnbd(cdnow, size, age, rng, resolution=1 / 7)
        for fit in (fit_bgnbd, fit_paretonbd):
            best = np.inf
            for _ in range(3):
                started = time.perf_counter()
                result = fit(*data)
                best = min(best, time.perf_counter() - started)
            shown = ", ".join(f"{k}={v:.3f}" for k, v in result.params.items())
            print(
                f"{fit.__name__:14} n={size:>9,} unique={result.n_unique:>7,} "
                f"best of 3 {best:6.3f}s  {shown}"
            )
