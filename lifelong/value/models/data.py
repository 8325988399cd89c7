"""From raw transactions to the (x, t_x, T) summaries the models take, and back to checks.

Everything is numpy: transactions are parallel arrays (customer id, date, spend).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TransactionSummary:
    """Per-customer calibration summary, in the model's time unit.

    x: repeat purchase days in the calibration period (purchase days after the first);
    t_x: time from the first purchase to the last calibration purchase; T: time from the
    first purchase to the end of calibration; mean_spend: mean spend per repeat purchase
    day (0 when x = 0); x_holdout: purchase days after calibration up to holdout_end
    (all zero when no holdout_end was given); first: the first purchase day.
    """

    customer_ids: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    mean_spend: np.ndarray
    x_holdout: np.ndarray
    first: np.ndarray


def _day_numbers(name: str, values: object) -> np.ndarray:
    """Dates as integer day numbers: datetime64 values (any unit) are floored to days."""
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[D]").astype(np.int64)
    if np.issubdtype(arr.dtype, np.number):
        return np.floor(arr.astype(float)).astype(np.int64)
    raise TypeError(f"{name} must be numpy datetime64 values or day numbers")


def summarise_transactions(
    customer_ids,
    dates,
    calibration_end,
    *,
    spend=None,
    holdout_end=None,
    unit_days: float = 7.0,
) -> TransactionSummary:
    """Summarise raw transactions into (x, t_x, T, mean repeat spend) per customer.

    dates are numpy datetime64 values or integer day numbers; purchases on the same day
    by the same customer are merged into one (their spend added), as in Fader, Hardie &
    Lee (2005) section 4. calibration_end is the last day of the calibration period
    (inclusive); T is measured from each customer's first purchase to it, in units of
    unit_days days (7: weeks). Customers whose first purchase falls after
    calibration_end are left out. holdout_end (inclusive), if given, counts the purchase
    days in (calibration_end, holdout_end] as x_holdout.
    """
    ids = np.asarray(customer_ids)
    days = _day_numbers("dates", dates)
    end = int(_day_numbers("calibration_end", calibration_end))
    money = np.zeros(days.shape) if spend is None else np.asarray(spend, dtype=float)
    if not (ids.shape == days.shape == money.shape) or ids.ndim != 1:
        raise ValueError("customer_ids, dates and spend must be 1-D arrays of one length")
    if unit_days <= 0:
        raise ValueError("unit_days must be positive")
    uid, cust = np.unique(ids, return_inverse=True)
    # merge same-day purchases: one row per (customer, day), spend summed
    order = np.lexsort((days, cust))
    cust, days, money = cust[order], days[order], money[order]
    new = np.ones(cust.size, dtype=bool)
    new[1:] = (cust[1:] != cust[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new)
    cust, days = cust[starts], days[starts]
    money = np.add.reduceat(money, starts) if starts.size else money[:0]

    n = uid.size
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, cust, days)
    keep = first <= end
    in_cal = days <= end
    repeat = in_cal & (days > first[cust])
    x = np.bincount(cust[repeat], minlength=n).astype(float)
    last = first.copy()
    np.maximum.at(last, cust[in_cal], days[in_cal])
    spend_sum = np.bincount(cust[repeat], weights=money[repeat], minlength=n)
    mean_spend = np.divide(spend_sum, x, out=np.zeros(n), where=x > 0)
    if holdout_end is not None:
        h_end = int(_day_numbers("holdout_end", holdout_end))
        in_hold = (days > end) & (days <= h_end)
        x_hold = np.bincount(cust[in_hold], minlength=n).astype(float)
    else:
        x_hold = np.zeros(n)
    return TransactionSummary(
        customer_ids=uid[keep],
        x=x[keep],
        t_x=((last - first) / unit_days)[keep],
        T=((end - first) / unit_days)[keep],
        mean_spend=mean_spend[keep],
        x_holdout=x_hold[keep],
        first=first[keep],
    )


@dataclass(frozen=True)
class HoldoutTable:
    """Predicted against actual holdout purchases, grouped by calibration frequency.

    frequency[i] is the group's x (the last group is "max_x or more"); n_customers,
    actual_mean and predicted_mean per group; actual_total and predicted_total over all.
    """

    frequency: np.ndarray
    label: np.ndarray
    n_customers: np.ndarray
    actual_mean: np.ndarray
    predicted_mean: np.ndarray
    actual_total: float
    predicted_total: float


def holdout_table(x, actual_holdout, predicted_holdout, *, max_x: int = 7) -> HoldoutTable:
    """Mean actual and predicted holdout purchases by calibration frequency 0..max_x+
    (the conditional-expectations check of Fader, Hardie & Lee 2005, Figure 4)."""
    x = np.asarray(x, dtype=float)
    actual = np.asarray(actual_holdout, dtype=float)
    predicted = np.asarray(predicted_holdout, dtype=float)
    if not (x.shape == actual.shape == predicted.shape):
        raise ValueError("x, actual_holdout and predicted_holdout must have one shape")
    group = np.minimum(x, max_x).astype(np.int64)
    n = np.bincount(group, minlength=max_x + 1).astype(float)
    act = np.bincount(group, weights=actual, minlength=max_x + 1)
    pred = np.bincount(group, weights=predicted, minlength=max_x + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        act_mean = np.where(n > 0, act / n, 0.0)
        pred_mean = np.where(n > 0, pred / n, 0.0)
    labels = np.array([str(i) for i in range(max_x)] + [f"{max_x}+"])
    return HoldoutTable(
        frequency=np.arange(max_x + 1),
        label=labels,
        n_customers=n,
        actual_mean=act_mean,
        predicted_mean=pred_mean,
        actual_total=float(actual.sum()),
        predicted_total=float(predicted.sum()),
    )
