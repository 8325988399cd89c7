"""Customer lifetime value: discounted expected purchases times expected spend.

The method is the discrete-time one lifetimes uses: cut the horizon into periods (a month
by default), take each period's increment of a model's cumulative conditional expectation
E[Y(t) | x, t_x, T], discount it to the period's end, and sum; multiply by the expected
spend per purchase (Gamma-Gamma, gammagamma_expected_spend). For Pareto/NBD the
continuous-time alternative, DERT (Fader, Hardie & Lee 2005b), is paretonbd_dert.
"""

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.special import gammaln, hyperu

from ._fit import by_unique_rows, unpack
from .bgnbd import _check
from .paretonbd import NAMES as PARETO_NAMES
from .paretonbd import _terms as _pareto_terms

DAYS_PER_YEAR = 365.25

# t -> cumulative expected purchases in (T, T + t] for each customer. It is called with
# a column of times, shape (k, 1), and must return shape (k, n_customers), which every
# *_expected function here does by broadcasting, e.g.
#     lambda t: bgnbd_expected(params, t, x, t_x, T)
Expected = Callable[[np.ndarray], np.ndarray]

# periods evaluated per call: bounds the (periods, customers) arrays to ~4M elements
_CELLS = 4_000_000


def years_to_units(years: float, unit_days: float = 7.0) -> float:
    """A number of years in the model's time unit (unit_days days, 7 for weeks)."""
    return years * DAYS_PER_YEAR / unit_days


def discounted_purchases(
    expected: Expected,
    horizon: float,
    *,
    period: float,
    discount_rate: float,
) -> np.ndarray:
    """sum_{i=1}^{K} [E(i·period) - E((i-1)·period)] / (1 + discount_rate)^i.

    horizon and period are in the model's time unit; K = ceil(horizon / period) and the
    last period ends at the horizon. discount_rate is per period.
    """
    return _discounted_cumulative(expected, [horizon], period=period, rate=discount_rate)[0]


def _discounted_cumulative(
    expected: Expected, horizons: Sequence[float], *, period: float, rate: float
) -> list[np.ndarray]:
    if period <= 0 or rate <= -1:
        raise ValueError("period must be positive and the discount rate above -1")
    if min(horizons) < 0:
        raise ValueError("horizons must be >= 0")
    k = int(np.ceil(max(horizons) / period - 1e-9))
    ends = np.minimum(np.arange(1, k + 1) * period, max(horizons))
    discount = (1.0 + rate) ** -np.arange(1, k + 1)
    previous = np.asarray(expected(np.zeros((1, 1))), dtype=float)[0]
    n = max(previous.size, 1)
    step = max(1, _CELLS // n)
    # running[i] = discounted purchases over the first i periods
    running = [np.zeros_like(previous)]
    for start in range(0, k, step):
        chunk = np.asarray(expected(ends[start : start + step, None]), dtype=float)
        chunk = chunk.reshape(-1, *previous.shape)
        increments = np.diff(np.concatenate([previous[None], chunk]), axis=0)
        weighted = increments * discount[start : start + step].reshape(-1, *[1] * previous.ndim)
        running.extend(running[-1] + np.cumsum(weighted, axis=0))
        previous = chunk[-1]
    return [running[int(np.ceil(h / period - 1e-9))] for h in horizons]


def clv_by_horizon(
    expected: Expected,
    spend,
    *,
    years: Sequence[float] = (1, 2, 10),
    unit_days: float = 7.0,
    annual_discount_rate: float = 0.10,
    periods_per_year: int = 12,
) -> dict[float, np.ndarray]:
    """CLV over several horizons (in years) at once: spend times discounted_purchases.

    The expectation is evaluated once per period up to the longest horizon. The annual
    rate is converted to the equivalent rate per period, (1 + d)^(1/periods_per_year) - 1,
    and each period's purchases are discounted to the period's end.
    """
    period = years_to_units(1.0, unit_days) / periods_per_year
    rate = (1.0 + annual_discount_rate) ** (1.0 / periods_per_year) - 1.0
    horizons = [years_to_units(y, unit_days) for y in years]
    sums = _discounted_cumulative(expected, horizons, period=period, rate=rate)
    spend = np.asarray(spend, dtype=float)
    return {y: spend * s for y, s in zip(years, sums, strict=True)}


def paretonbd_dert(params: Mapping[str, float], continuous_rate: float, x, t_x, T) -> np.ndarray:
    """Discounted expected residual transactions under Pareto/NBD, FHL05b (their DERT):

    DERT = alpha^r beta^s delta^(s-1) Gamma(r+x+1) U(s, s; delta(beta+T))
           / (Gamma(r) (alpha+T)^(r+x+1) L(r, alpha, s, beta | x, t_x, T)),
    with U Tricomi's confluent hypergeometric function (scipy.special.hyperu) and delta
    the continuously compounded discount rate per time unit (for an annual rate d and
    weeks: ln(1+d)/52.18). Evaluated in logs, once per distinct (x, t_x, T); multiply by
    the expected spend for CLV.
    """
    r, alpha, s, beta = unpack(params, PARETO_NAMES)
    if continuous_rate <= 0:
        raise ValueError("the discount rate must be positive")
    d = continuous_rate

    def rows(x, t_x, T):
        x, t_x, T = _check(x, t_x, T)
        ll = _pareto_terms(r, alpha, s, beta, x, t_x, T, False)[0]
        log_u = np.log(hyperu(s, s, d * (beta + T)))
        return np.exp(
            r * np.log(alpha)
            + s * np.log(beta)
            + (s - 1.0) * np.log(d)
            + gammaln(r + x + 1.0)
            + log_u
            - gammaln(r)
            - (r + x + 1.0) * np.log(alpha + T)
            - ll
        )

    return by_unique_rows(rows, (x, t_x, T))
