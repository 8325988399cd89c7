"""Maximum likelihood machinery shared by the models: compression, optimiser, standard errors."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

# f(log_params) -> (total log-likelihood, gradient of it with respect to log_params)
LogLikGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]

# log-parameters are kept within +-30 (1e-13 .. 1e13)
_LOG_BOUND = 30.0


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


def codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each value among them).

    np.unique(return_inverse=True) argsorts, which is several times slower on a million
    repeated floats than sorting for the distinct values and binary-searching them.
    """
    distinct = np.unique(values)
    return distinct, np.searchsorted(distinct, values)


def unique_rows(
    *columns: np.ndarray, weights: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of equal-length columns, their total weights, and each row's group.

    Returns (unique columns, weights per unique row, inverse index) with
    unique_columns[i][inverse] == columns[i], rows in lexicographic order. Each column is
    reduced to integer codes and the codes to one int64 key; when the key space is small
    (as for (x, t_x, T) on a day grid) a counting sort (np.bincount) groups the keys in
    linear time, otherwise np.unique sorts them.
    """
    n = columns[0].shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    key = np.zeros(n, dtype=np.int64)
    distinct = []
    size = 1.0
    for col in columns:
        values, code = codes(col)
        distinct.append(values)
        size *= values.size
        if size >= 2.0**62:
            break
        key = key * values.size + code
    if size >= 2.0**62:
        stacked = np.stack(columns, axis=1)
        rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        counts = np.bincount(inverse, weights=w, minlength=rows.shape[0])
        return [rows[:, i] for i in range(len(columns))], counts, inverse
    if size <= 2.0**23:
        present = np.bincount(key, minlength=int(size)) > 0
        ukey = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        inverse = rank[key]
    else:
        ukey, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.ravel()
    counts = np.bincount(inverse, weights=w, minlength=ukey.size)
    out = []
    rem = ukey
    for values in reversed(distinct):
        out.append(values[rem % values.size])
        rem = rem // values.size
    out.reverse()
    return out, counts, inverse


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
