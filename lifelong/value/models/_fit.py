"""Maximum likelihood machinery shared by the models: compression, optimiser, standard errors."""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

# f(log_params) -> (total log-likelihood, gradient of it with respect to log_params)
LogLikGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]

# log-parameters are kept within +-30 (1e-13 .. 1e13)
_LOG_BOUND = 30.0

# _grid: values sampled to find the step, and the largest table it may use (slots per
# row, or this many whatever the row count)
_GRID_SAMPLE = 2048
_GRID_PER_ROW = 4
_GRID_MIN = 4096
# unique_rows marks keys in a table while the key space is below this many per row
_KEYS_PER_ROW = 32
# adding 2^52 rounds a float in [0, 2^51) to a whole number, readable from its bits
_TWO52 = 2.0**52
_TWO52_BITS = int(np.array(_TWO52).view(np.int64))


@dataclass(frozen=True)
class FitResult:
    """A fitted model: maximum likelihood estimates and how the fit went.

    std_errors are asymptotic standard errors of the natural parameters, from the inverse
    Hessian of the negative log-likelihood in log-parameters and the delta method
    (se(theta) = theta · se(log theta)); NaN where the Hessian is not positive definite.
    """

    model: str
    params: dict[str, float]
    log_likelihood: float
    std_errors: dict[str, float]
    n_customers: int
    converged: bool
    iterations: int
    n_unique: int = 0
    message: str = field(default="", compare=False)


def wdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Weighted sums a·b (a may be a stack of rows) without BLAS.

    np.dot and @ hand these to OpenBLAS, whose threads then spin between calls and slow
    the elementwise work around them ten-fold on a busy two-core machine; einsum's own
    loop is as fast for vectors.
    """
    a = np.asarray(a)
    return np.einsum("...i,i->...", a, b)


def as_float(name: str, values: object) -> np.ndarray:
    """A 1-D float array, refusing NaN and infinities."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _grid(values: np.ndarray, scratch: np.ndarray, code: np.ndarray) -> np.ndarray | None:
    """Integer codes for values on an even grid (whole numbers, days in weeks, cents).

    Fills code (an intp array like values) so that table[code] == values exactly and
    returns table, or returns None (code then holds garbage) when the values are not on
    a grid this can use. scratch is a float array like values, overwritten.

    The step is the smallest gap between the distinct values of a sample; a value's code
    is its rounded number of steps above the minimum, which is monotone in the value, so
    codes sort as the values do. The codes are exact when no two distinct values share
    one: whole numbers from 0 up are checked to be whole; any other grid is proved by
    comparing every value with its code's slot of a table of the values. A handful of
    passes instead of a sort: ~3 ms instead of ~70 ms for a million day-grid floats.
    Slots no value maps to hold NaN.
    """
    n = values.size
    lo, hi = values.min(), values.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    if lo == hi:
        code.fill(0)
        return np.array([lo])
    stride = max(1, n // _GRID_SAMPLE)
    sample = np.unique(np.concatenate([values[::stride], [lo, hi]]))
    with np.errstate(over="ignore", divide="ignore"):
        scale = 1.0 / np.diff(sample).min()
        size = np.rint((hi - lo) * scale) + 1.0
    if not (np.isfinite(scale) and size <= max(_GRID_PER_ROW * n, _GRID_MIN)):
        return None
    if scale == 1.0 and lo >= 0 and lo == np.floor(lo) and hi < _TWO52:
        # Whole numbers: value + (2^52 - lo) rounds to the integer grid of [2^52, 2^53),
        # whose bits count the integers from 2^52 up; it is exact, so the value comes
        # back, only where value is whole.
        np.add(values, _TWO52 - lo, out=scratch)
        np.subtract(scratch.view(np.int64), _TWO52_BITS, out=code)
        scratch -= _TWO52 - lo
        scratch -= values
        if not scratch.any():
            return lo + np.arange(int(size), dtype=float)
    if not max(abs(lo), abs(hi)) * scale < 2.0**50:
        return None
    # code = value·scale - lo·scale + 1 rounded, read from the bits as above: 0 to size + 1
    offset = _TWO52 + 1.0 - lo * scale
    np.multiply(values, scale, out=scratch)
    scratch += offset
    np.subtract(scratch.view(np.int64), _TWO52_BITS, out=code)
    # The table starts from the sample's values (the same arithmetic on fewer numbers);
    # a row whose value differs from its slot's then either fills an empty slot or
    # shows two values sharing one. Most rows find their value in place, which spares
    # writing every row to the table.
    table = np.full(int(size) + 2, np.nan)
    sample_slots = sample * scale
    sample_slots += offset
    table[sample_slots.view(np.int64) - _TWO52_BITS] = sample
    np.take(table, code, out=scratch, mode="clip")
    differ = borrow(n, bool)
    try:
        if np.not_equal(scratch, values, out=differ).any():
            rows = np.flatnonzero(differ)
            slots, missing = code[rows], values[rows]
            if not np.isnan(table[slots]).all():
                return None
            table[slots] = missing
            if not np.array_equal(table[slots], missing):
                return None
    finally:
        give_back(differ)
    return table


def _column_codes(values: np.ndarray, scratch: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Fill code so that table[code] == values and return table: _grid's, or the sorted
    distinct values and a binary search for arbitrary floats (np.unique's
    return_inverse argsorts, several times slower on a million repeated floats)."""
    table = _grid(values, scratch, code)
    if table is None:
        table = np.unique(values)
        code[...] = np.searchsorted(table, values)
    return table


def column_codes(*columns: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """For each 1-D float column, (table, code, finite): table[code] == column exactly,
    finite whether every value is finite.

    The tables are small when the columns repeat (a grid's slots, or the distinct
    values), so a model can evaluate its per-value terms on them and gather per row.
    Slots no row uses hold NaN, or (whole numbers) the numbers between used ones. The
    codes come from borrow: hand them back with give_back when done.
    """
    n = columns[0].size if columns else 0
    scratch = borrow(n, float)
    out = []
    for col in columns:
        code = borrow(n, np.intp)
        table = _grid(col, scratch, code)
        if table is None:
            table = np.unique(col)
            code[...] = np.searchsorted(table, col)
            finite = bool(np.all(np.isfinite(table)))
        else:
            finite = True
        out.append((table, code, finite))
    give_back(scratch)
    return out


def codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each value among them)."""
    values = np.asarray(values, dtype=float).ravel()
    code = np.empty(values.size, dtype=np.intp)
    if values.size == 0:
        return values.copy(), code
    scratch = borrow(values.size, float)
    table = _column_codes(values, scratch, code)
    give_back(scratch)
    present = np.zeros(table.size, dtype=bool)
    present[code] = True
    if present.all():
        return table, code
    rank = np.cumsum(present) - 1
    return table[present], rank.take(code)


class _Pool(threading.local):
    """Work arrays kept between calls, one list per thread (see borrow)."""

    def __init__(self) -> None:
        self.free: list[np.ndarray] = []


_POOL = _Pool()
_POOL_BYTES = 96 * 2**20  # what a thread keeps between calls at most
_POOL_SMALLEST = 2**16  # arrays below this many bytes are not worth keeping


def borrow(n: int, dtype: Any) -> np.ndarray:
    """An uninitialised array of n elements, from this thread's pool when it holds one.

    A fresh array faults in each of its 4 KiB pages on first touch, and on the two-core
    VMs measured that cost more than the arithmetic: compressing a million rows took
    24 ms with fresh work arrays and 15 ms with reused ones. So the large work arrays
    are borrowed here and handed back with give_back once nothing refers to them.
    """
    dtype = np.dtype(dtype)
    fits = [i for i, arr in enumerate(_POOL.free) if arr.dtype == dtype and arr.size >= n]
    if not fits:
        return np.empty(n, dtype=dtype)
    best = min(fits, key=lambda i: _POOL.free[i].size)
    return _POOL.free.pop(best)[:n]


def give_back(*arrays: np.ndarray) -> None:
    """Return work arrays to the pool: only arrays from borrow that nothing else holds."""
    for arr in arrays:
        base = arr if arr.base is None else arr.base
        if (
            isinstance(base, np.ndarray)
            and base.ndim == 1
            and base.nbytes >= _POOL_SMALLEST
            and not any(kept is base for kept in _POOL.free)
        ):
            _POOL.free.append(base)
    while sum(kept.nbytes for kept in _POOL.free) > _POOL_BYTES:
        _POOL.free.remove(max(_POOL.free, key=lambda kept: kept.nbytes))


def _compact(table: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Drop the table's slots no code points to, renumbering code in place (a grid with
    gaps, such as spends in cents, would otherwise make the row keys' space too large)."""
    present = np.zeros(table.size, dtype=bool)
    present[code] = True
    if present.all():
        return table
    rank = np.cumsum(present) - 1
    renumbered = borrow(code.size, np.intp)
    np.take(rank, code, out=renumbered, mode="clip")
    code[...] = renumbered
    give_back(renumbered)
    return table[present]


def unique_rows(
    *columns: np.ndarray, weights: np.ndarray | None = None, counts: bool = True
) -> tuple[list[np.ndarray], np.ndarray | None, np.ndarray]:
    """Distinct rows of equal-length 1-D columns, their total weights, and each row's group.

    Returns (unique columns, weights per unique row, inverse index) with
    unique_columns[i][inverse] == columns[i] exactly, rows in lexicographic order; the
    weights are None when counts is False. Each column is reduced to integer codes
    (_column_codes) and the codes to one int64 key; when the key space is small (as for
    (x, t_x, T) on a day grid) the present keys are marked in a table and ranked in
    linear time, otherwise np.unique sorts the keys. The work arrays come from borrow.
    """
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    n = cols[0].size
    if n == 0:
        empty = [c[:0].copy() for c in cols]
        return empty, (np.zeros(0) if counts else None), np.zeros(0, dtype=np.intp)
    scratch = borrow(n, float)
    key = borrow(n, np.intp)
    code = key
    tables = []
    size = 1.0
    limit = min(max(_KEYS_PER_ROW * n, _GRID_MIN), 2.0**23)
    for i, col in enumerate(cols):
        table = _column_codes(col, scratch, code)
        if size * table.size > limit:
            table = _compact(table, code)
        tables.append(table)
        size *= table.size
        if size >= 2.0**62:
            break
        if i == 0:
            code = borrow(n, np.intp)
        else:
            key *= table.size
            key += code
    give_back(scratch)
    if size >= 2.0**62:
        give_back(key, code)
        rows, inverse = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        unique_columns = [rows[:, i] for i in range(len(cols))]
    else:
        if size <= limit:
            present = borrow(int(size), bool)
            present.fill(False)
            present[key] = True
            ukey = np.flatnonzero(present)
            rank = borrow(int(size), np.intp)
            rank[ukey] = np.arange(ukey.size)
            inverse = code if code is not key else borrow(n, np.intp)
            np.take(rank, key, out=inverse, mode="clip")
            give_back(present, rank, key)
        else:
            ukey, inverse = np.unique(key, return_inverse=True)
            inverse = inverse.ravel()
            give_back(key, code)
        unique_columns = []
        rem = ukey
        for table in reversed(tables):
            unique_columns.append(table.take(rem % table.size))
            rem = rem // table.size
        unique_columns.reverse()
    if not counts:
        return unique_columns, None, inverse
    size_u = unique_columns[0].size
    if weights is None:
        total = np.bincount(inverse, minlength=size_u).astype(float)
    else:
        w = np.broadcast_to(np.asarray(weights, dtype=float), (n,))
        total = np.bincount(inverse, weights=w, minlength=size_u)
    return unique_columns, total, inverse


def by_unique_rows(evaluate: Callable[..., Any], columns: Sequence[object], t: object = None):
    """Evaluate a per-customer function once per distinct row and expand the results.

    columns: per-customer arrays (broadcast against each other). evaluate(*unique_columns),
    or evaluate(t, *unique_columns) when t is given, returns an array or a tuple of arrays
    whose last axis runs over the unique rows; they come back with that axis expanded to
    the customers, in the customers' shape. The rows are grouped exactly
    (unique_rows), so each customer gets the value its own row would give.

    t is a horizon that broadcasts against the customers. When it is a scalar, or a
    column (k, 1) against 1-D customers (as CLV asks), it is passed to evaluate as it is
    and its leading axes lead the results; otherwise it is broadcast to every customer
    and becomes the first column of the rows (evaluate then gets one t per unique row).
    """
    arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(c, dtype=float)) for c in columns))
    shape = arrays[0].shape
    flat = [a.ravel() for a in arrays]
    pass_t = t is not None
    if pass_t:
        t = np.asarray(t, dtype=float)
        if not (t.ndim == 0 or (len(shape) == 1 and t.shape[-1] == 1)):
            shape = np.broadcast_shapes(t.shape, shape)
            flat = [np.broadcast_to(a, shape).ravel() for a in (t, *arrays)]
            pass_t = False
    unique, _, inverse = unique_rows(*flat, counts=False)
    out = evaluate(t, *unique) if pass_t else evaluate(*unique)
    single = not isinstance(out, tuple)
    expanded = tuple(
        np.asarray(o).take(inverse, axis=-1).reshape(np.shape(o)[:-1] + shape)
        for o in ((out,) if single else out)
    )
    give_back(inverse)
    return expanded[0] if single else expanded


def maximise(
    loglik_grad: LogLikGrad,
    start: np.ndarray,
    total_weight: float,
    *,
    max_iter: int = 2000,
) -> tuple[np.ndarray, float, bool, int, str]:
    """Maximise a log-likelihood over log-parameters with BFGS and its analytic gradient.

    The objective handed to scipy is the mean negative log-likelihood per customer, so the
    tolerances mean the same thing whatever the sample size.
    Returns (log_params, total log-likelihood, converged, iterations, message).
    """

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = loglik_grad(np.clip(theta, -_LOG_BOUND, _LOG_BOUND))
        if not np.isfinite(ll):
            # A step far outside the data's support: tell the line search to back off.
            return 1e300, np.zeros_like(theta)
        return -ll / total_weight, -grad / total_weight

    # BFGS rather than L-BFGS-B: with four parameters its numpy updates cost nothing,
    # while L-BFGS-B's LAPACK calls wake OpenBLAS's threads on every iteration, which
    # made it the slowest part of a million-customer fit on a two-core machine.
    res = minimize(
        objective, start, jac=True, method="BFGS", options={"maxiter": max_iter, "gtol": 1e-10}
    )
    theta = np.clip(res.x, -_LOG_BOUND, _LOG_BOUND)
    ll, grad = loglik_grad(theta)
    # "Precision loss" means the line search could not improve the last digits: at a
    # point whose gradient is ~0 that is convergence.
    small = np.max(np.abs(grad)) / total_weight < 1e-5
    converged = bool(res.success or (res.status == 2 and small))
    return theta, float(ll), converged, int(res.nit), str(res.message)


def standard_errors(loglik_grad: LogLikGrad, log_params: np.ndarray) -> np.ndarray:
    """Delta-method standard errors of exp(log_params) from a numerical Hessian.

    The Hessian of the negative log-likelihood in log-parameters is the central difference
    of the analytic gradient (step 1e-5 in log space, i.e. relative), symmetrised; the
    covariance of log theta is its inverse and se(theta) = theta · sqrt(diag). NaN if not invertible
    or not positive definite.
    """
    k = log_params.size
    h = 1e-5
    hess = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = h
        _, g_plus = loglik_grad(log_params + step)
        _, g_minus = loglik_grad(log_params - step)
        hess[:, j] = -(g_plus - g_minus) / (2 * h)
    hess = 0.5 * (hess + hess.T)
    try:
        np.linalg.cholesky(hess)
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
    return np.exp(log_params) * np.sqrt(np.clip(np.diag(cov), 0.0, None))


def build_result(
    model: str,
    names: tuple[str, ...],
    loglik_grad: LogLikGrad,
    start: np.ndarray,
    total_weight: float,
    n_unique: int,
) -> FitResult:
    """Run maximise() and standard_errors() and pack a FitResult."""
    theta, ll, converged, nit, message = maximise(loglik_grad, start, total_weight)
    se = standard_errors(loglik_grad, theta)
    values = np.exp(theta)
    return FitResult(
        model=model,
        params={n: float(v) for n, v in zip(names, values, strict=True)},
        log_likelihood=ll,
        std_errors={n: float(v) for n, v in zip(names, se, strict=True)},
        n_customers=round(total_weight),
        converged=converged,
        iterations=nit,
        n_unique=n_unique,
        message=message,
    )


def unpack(params: Mapping[str, float], names: tuple[str, ...]) -> tuple[float, ...]:
    """The named parameters as positive floats, in order."""
    try:
        values = tuple(float(params[n]) for n in names)
    except KeyError as exc:
        raise ValueError(f"parameters must include {', '.join(names)}") from exc
    if not all(v > 0 and np.isfinite(v) for v in values):
        raise ValueError(f"parameters {', '.join(names)} must be positive and finite")
    return values
