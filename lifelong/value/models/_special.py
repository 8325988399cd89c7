"""Log-space special functions the models share.

scipy.special.hyp2f1 is not used anywhere: for the large parameters that customers with
many purchases produce it overflows, or silently loses all its digits for negative
arguments. The two Gauss hypergeometric series the models need are summed here instead,
after an Euler transformation (Abramowitz & Stegun 15.3.3) that keeps the argument in
[0, 1) and the parameters small, term by term until the tail is below a relative
tolerance (only the rows that have not converged keep iterating).
"""

import numpy as np

from ._fit import borrow, give_back

_LN2 = np.log(2.0)
_TINY = 1e-300
_BELOW_ONE = np.nextafter(1.0, 0.0)
_TOL = 1e-15
_MAX_TERMS = 200_000
# hyp2f1_tail's blocks of terms hold at most this many numbers (8 MB)
_BLOCK_CELLS = 2**20


def log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x <= 0, accurate at both ends (switching at -ln 2,
    Mächler 2012, "Accurately computing log(1 - exp(-|a|))"); -inf at 0."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -_LN2, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _signed_logsumexp(log_t: np.ndarray, sign_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log|sum|, sign of sum) of sign_t · e^log_t along the last axis, scaled by the
    largest term as scipy.special.logsumexp does, without its per-call overhead (which
    was most of the time of a series over a few thousand rows)."""
    top = log_t.max(axis=-1)
    top = np.where(np.isfinite(top), top, 0.0)  # all terms zero (-inf): sum 0
    total = (sign_t * np.exp(log_t - top[..., None])).sum(axis=-1)
    with np.errstate(divide="ignore"):
        return np.log(np.abs(total)) + top, np.sign(total)


def hyp2f1_1bc(
    b: np.ndarray, c: np.ndarray, z: np.ndarray, *, tol: float = _TOL, grad: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log 2F1(1, b; c; z) and its derivatives in b, c and z, for 0 < b < c and 0 <= z < 1.

    The series sum_k (b)_k / (c)_k z^k (A&S 15.1.1 with a = 1) has positive terms whose
    ratios (b + k) z / (c + k) stay below z, so the largest term is the first (1) and the
    tail after a term t_K is at most t_K z / (1 - z): the sum cannot overflow and its
    truncation error is bounded. The terms are products of those ratios (no logarithms:
    they cannot overflow, and a term that underflows to 0 ends its row). Derivatives come
    from the same terms: d log t_k / db = sum_{j<k} 1/(b+j), d/dc = -sum_{j<k} 1/(c+j),
    d/dz = k/z.

    Returns (log F, dlogF/db, dlogF/dc, dlogF/dz), each shaped like the broadcast inputs;
    with grad False the three derivatives are None.
    """
    b, c, z = np.broadcast_arrays(
        np.asarray(b, dtype=float), np.asarray(c, dtype=float), np.asarray(z, dtype=float)
    )
    shape = b.shape
    b, c = b.ravel(), c.ravel()
    z = np.clip(z.ravel(), _TINY, _BELOW_ONE)
    n = b.size
    total = np.ones(n)
    last = np.ones(n)  # the last term summed
    if grad:
        sum_db = np.zeros(n)
        sum_dc = np.zeros(n)
        sum_dz = np.zeros(n)  # sum of t_k * k / z
        cum_db = np.zeros(n)
        cum_dc = np.zeros(n)
    active = np.arange(n)
    k0 = 0
    block = 8
    while active.size and k0 < _MAX_TERMS:
        j = k0 + np.arange(block)
        bj = b[active, None] + j
        cj = c[active, None] + j
        za = z[active]
        ratio = bj / cj
        ratio *= za[:, None]
        t = np.cumprod(ratio, axis=1)  # terms k0+1 .. k0+block over the last one
        t *= last[active, None]
        total[active] += t.sum(axis=1)
        if grad:
            db = cum_db[active, None] + np.cumsum(1.0 / bj, axis=1)
            dc = cum_dc[active, None] - np.cumsum(1.0 / cj, axis=1)
            sum_db[active] += (t * db).sum(axis=1)
            sum_dc[active] += (t * dc).sum(axis=1)
            sum_dz[active] += (t * (j + 1.0)).sum(axis=1) / za
            cum_db[active] = db[:, -1]
            cum_dc[active] = dc[:, -1]
        last[active] = t[:, -1]
        tail = t[:, -1] * za / (1.0 - za)
        active = active[~(tail <= tol * total[active])]
        k0 += block
        block = min(2 * block, 4096)
    if active.size:
        # Out of terms (z within ~1e-5 of 1): add the geometric estimate of the tail, whose
        # ratio is the last one, a lower bound that keeps the result finite.
        rho = (b[active] + k0) / (c[active] + k0) * z[active]
        total[active] += last[active] * rho / (1.0 - rho)
    log_f = np.log(total).reshape(shape)
    if not grad:
        return log_f, None, None, None
    return (
        log_f,
        (sum_db / total).reshape(shape),
        (sum_dc / total).reshape(shape),
        (sum_dz / total).reshape(shape),
    )


def hyp2f1_tail(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, *, tol: float = _TOL
) -> tuple[np.ndarray, np.ndarray]:
    """Sign and log-magnitude of S = sum_{k>=1} t_k with t_1 = a z and
    t_{k+1} / t_k = (a + k)(b + k) z / ((c + k)(k + 1)), for c > -1 and 0 <= z < 1.

    That is S = c [2F1(a, b; c; z) - 1] / b = sum_{k>=1} (a)_k (b+1)_{k-1} z^k /
    ((c+1)_{k-1} k!) (A&S 15.1.1 regrouped), which stays finite as b -> 0 or c -> 0.
    Terms may change sign while k < -a or k < -b; after that the ratios tend to z from
    either side and the tail is bounded geometrically. The terms are summed as multiples
    of t_1 (products of the ratios, no logarithms), S = t_1 (1 + sum_k t_k / t_1); rows
    where those multiples leave the range of floats are summed in log space instead
    (_hyp2f1_tail_log). Returns (sign, log|S|); sign is 0 where S is exactly 0.
    """
    # a and b are often one number for every row (BG/NBD): then the factor
    # (a + k)(b + k)/(k + 1) of each ratio is one vector for all rows
    common = np.ndim(a) == 0 and np.ndim(b) == 0
    a_scalar, b_scalar = float(np.asarray(a).flat[0]), float(np.asarray(b).flat[0])
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    shape = a.shape
    a, b, c, z = a.ravel(), b.ravel(), c.ravel(), z.ravel()
    with np.errstate(divide="ignore"):
        log_t1 = np.log(np.abs(a)) + np.log(z)
    sign_t1 = np.sign(a) * (z > 0)
    rel_sum = np.ones(a.size)  # S / t_1
    rel_last = np.ones(a.size)  # t_k / t_1 of the last term summed
    overflow = np.zeros(a.size, dtype=bool)
    active = np.flatnonzero(sign_t1 != 0)
    k0 = 1
    # The first block is about as long as a geometric series of ratio max(z) needs (the
    # ratios tend to z), so that most rows are done after one: a block costs more in
    # numpy calls than in arithmetic. Blocks stay below _BLOCK_CELLS numbers.
    top = float(np.max(z[active])) if active.size else 0.0
    block = 8
    if 0 < top < 1:
        block = int(np.ceil((np.log(tol * (1.0 - top)) / np.log(top) + 2.0) / 8.0) * 8)
    while active.size and k0 < _MAX_TERMS:
        block = max(8, min(block, 4096, _BLOCK_CELLS // active.size // 8 * 8))
        k = k0 + np.arange(block)
        aa, bb, cc, zz = a[active], b[active], c[active], z[active]
        work = borrow(active.size * block, float)
        terms = work.reshape(block, active.size)  # one row per term, one column per row
        if common:
            np.add(k[:, None], cc, out=terms)
            np.divide(zz, terms, out=terms)
            terms *= ((a_scalar + k) * (b_scalar + k) / (k + 1.0))[:, None]
        else:
            other = borrow(active.size * block, float).reshape(block, active.size)
            np.add(k[:, None], aa, out=terms)
            np.add(k[:, None], bb, out=other)
            terms *= other
            np.add(k[:, None], cc, out=other)
            terms /= other
            terms *= zz
            terms /= (k + 1.0)[:, None]
            give_back(other)
        with np.errstate(over="ignore", invalid="ignore"):  # such rows go to the log form
            # the ratios' running products, times the last term so far: the terms.
            # np.cumprod goes element by element; one multiply per term across the rows
            # is several times faster unless the rows are few.
            terms[0] *= rel_last[active]
            if active.size >= 256:
                for i in range(1, block):
                    np.multiply(terms[i - 1], terms[i], out=terms[i])
            else:
                np.cumprod(terms, axis=0, out=terms)
            total = rel_sum[active] + terms.sum(axis=0)
        last = terms[-1].copy()
        give_back(work)
        rel_sum[active] = total
        rel_last[active] = last
        # Past the sign changes (a + k) / (c + k) and (b + k) / (k + 1) move monotonically
        # towards 1, so every later ratio is below rho = z max(1, (a+K)/(c+K))
        # max(1, (b+K)/(K+1)); once rho < 1 the tail is at most |t_K| rho / (1 - rho).
        kk = k0 + block
        past = (kk > -aa) & (kk > -bb) & (kk > -cc)
        rho = zz * np.maximum(1.0, (aa + kk) / (cc + kk)) * np.maximum(1.0, (bb + kk) / (kk + 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.abs(last) * rho / (1.0 - rho)
        small = tail <= tol * np.abs(total)
        bad = ~np.isfinite(total) | ~np.isfinite(last)
        overflow[active[bad]] = True
        done = bad | (last == 0) | (past & (rho < 1) & small)
        active = active[~done]
        k0 = kk
        block *= 2
    with np.errstate(divide="ignore"):
        log_s = log_t1 + np.log(np.abs(rel_sum))
    sign_s = sign_t1 * np.sign(rel_sum)
    if overflow.any():
        rows = np.flatnonzero(overflow)
        sign_s[rows], log_s[rows] = _hyp2f1_tail_log(a[rows], b[rows], c[rows], z[rows], tol=tol)
    return sign_s.reshape(shape), log_s.reshape(shape)


def _hyp2f1_tail_log(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, *, tol: float = _TOL
) -> tuple[np.ndarray, np.ndarray]:
    """hyp2f1_tail with every term in log space: the fallback for rows whose terms
    leave the range of floats relative to the first one."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    shape = a.shape
    a, b, c, z = a.ravel(), b.ravel(), c.ravel(), z.ravel()
    with np.errstate(divide="ignore"):
        log_t = np.log(np.abs(a)) + np.log(z)  # t_1
    sign_t = np.sign(a) * (z > 0)
    log_s = log_t.copy()
    sign_s = sign_t.copy()
    active = np.flatnonzero(sign_t != 0)
    k0 = 1
    block = 8
    while active.size and k0 < _MAX_TERMS:
        k = k0 + np.arange(block)
        num_a = a[active, None] + k
        num_b = b[active, None] + k
        den = (c[active, None] + k) * (k + 1)
        ratio = num_a * num_b / den
        with np.errstate(divide="ignore"):
            lr = np.log(np.abs(ratio)) + np.log(z[active, None])
        lt = log_t[active, None] + np.cumsum(lr, axis=1)
        st = sign_t[active, None] * np.cumprod(np.sign(ratio), axis=1)
        block_log, block_sign = _signed_logsumexp(lt, st)
        both = np.stack([log_s[active], block_log], axis=1)
        signs = np.stack([sign_s[active], block_sign], axis=1)
        log_s[active], sign_s[active] = _signed_logsumexp(both, signs)
        log_t[active] = lt[:, -1]
        sign_t[active] = st[:, -1]
        # Past the sign changes (a + k) / (c + k) and (b + k) / (k + 1) move monotonically
        # towards 1, so every later ratio is below rho = z max(1, (a+K)/(c+K))
        # max(1, (b+K)/(K+1)); once rho < 1 the tail is at most |t_K| rho / (1 - rho).
        kk = k0 + block
        past = (kk > -a[active]) & (kk > -b[active]) & (kk > -c[active])
        rho = (
            z[active]
            * np.maximum(1.0, (a[active] + kk) / (c[active] + kk))
            * np.maximum(1.0, (b[active] + kk) / (kk + 1.0))
        )
        with np.errstate(divide="ignore"):
            log_tail = log_t[active] + np.log(rho) - np.log1p(-np.minimum(rho, 1.0))
        small = log_tail <= np.log(tol) + log_s[active]
        done = (sign_t[active] == 0) | (past & (rho < 1) & small)
        active = active[~done]
        k0 = kk
        block = min(2 * block, 4096)
    return sign_s.reshape(shape), log_s.reshape(shape)
