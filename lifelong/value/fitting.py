"""The models applied to the database's purchase summaries: fits, predictions, holdout.

A thin layer between lifelong.value.models (pure arrays) and the app: it names the
purchase models the CLI and settings accept, fits them on a CustomerSummary, and runs the
calibration/holdout check. refresh_values (services.py), the `lifelong value` command and
the holdout page all go through here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from lifelong.customers.models import Customer
from lifelong.value.models import (
    FitResult,
    HoldoutTable,
    bgnbd_expected,
    bgnbd_p_alive,
    fit_bgnbd,
    fit_gammagamma,
    fit_mbgnbd,
    fit_paretonbd,
    holdout_table,
    mbgnbd_expected,
    mbgnbd_p_alive,
    paretonbd_expected,
    paretonbd_p_alive,
)
from lifelong.value.summary import CustomerSummary, customer_summary

UNITS = {"days": 1.0, "weeks": 7.0}


@dataclass(frozen=True)
class PurchaseModel:
    """A purchase-and-dropout model: how to fit it and what it predicts."""

    key: str
    label: str
    fit: Callable[..., FitResult]
    p_alive: Callable[..., np.ndarray]
    expected: Callable[..., np.ndarray]


PURCHASE_MODELS: dict[str, PurchaseModel] = {
    "bgnbd": PurchaseModel("bgnbd", "BG/NBD", fit_bgnbd, bgnbd_p_alive, bgnbd_expected),
    "mbgnbd": PurchaseModel("mbgnbd", "MBG/NBD", fit_mbgnbd, mbgnbd_p_alive, mbgnbd_expected),
    "pnbd": PurchaseModel(
        "pnbd", "Pareto/NBD", fit_paretonbd, paretonbd_p_alive, paretonbd_expected
    ),
}
SPEND_MODEL = "gg"
FIT_MODELS = (*PURCHASE_MODELS, SPEND_MODEL)
MODEL_LABELS = {**{k: m.label for k, m in PURCHASE_MODELS.items()}, SPEND_MODEL: "Gamma-Gamma"}


def purchase_model(key: str) -> PurchaseModel:
    """The purchase model called `key` (bgnbd, mbgnbd, pnbd); ValueError otherwise."""
    try:
        return PURCHASE_MODELS[key]
    except KeyError:
        names = ", ".join(PURCHASE_MODELS)
        raise ValueError(f"unknown purchase model {key!r}; use one of {names}") from None


def repeat_buyers(summary: CustomerSummary) -> np.ndarray:
    """The customers Gamma-Gamma can learn from: a repeat purchase with a positive spend."""
    return (summary.x > 0) & (summary.mean_spend > 0)


def fit_summary(key: str, summary: CustomerSummary) -> FitResult:
    """Fit model `key` (bgnbd, mbgnbd, pnbd, or gg for Gamma-Gamma on the repeat buyers)."""
    if key == SPEND_MODEL:
        keep = repeat_buyers(summary)
        if not keep.any():
            raise ValueError("Gamma-Gamma needs customers with repeat purchases")
        return fit_gammagamma(summary.x[keep], summary.mean_spend[keep])
    if len(summary) == 0:
        raise ValueError("there are no purchases to fit")
    return purchase_model(key).fit(summary.x, summary.t_x, summary.T)


def fit_report(
    key: str,
    until: dt.date,
    *,
    unit: str = "weeks",
    customers: QuerySet[Customer] | None = None,
) -> dict:
    """Fit `key` on the purchases up to `until`: the JSON that `lifelong value fit` prints.

    {"model", "params", "log_likelihood", "std_errors", "n_customers", "seconds"}, where
    seconds is the time of the fit alone (not of the database summary).
    """
    summary = customer_summary(until, customers=customers, unit_days=UNITS[unit])
    started = time.perf_counter()
    fit = fit_summary(key, summary)
    seconds = time.perf_counter() - started
    return {
        "model": key,
        "params": fit.params,
        "log_likelihood": fit.log_likelihood,
        "std_errors": fit.std_errors,
        "n_customers": fit.n_customers,
        "seconds": round(seconds, 4),
    }


@dataclass(frozen=True)
class HoldoutReport:
    """Predicted against actual purchases after the calibration end, by calibration x."""

    model: str
    fit: FitResult
    table: HoldoutTable
    until: dt.date
    holdout_end: dt.date
    horizon: float
    unit: str
    n_customers: int

    def as_dict(self) -> dict:
        """A JSON-ready form (the CLI's --json and the API)."""
        t = self.table
        return {
            "model": self.model,
            "until": self.until.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            "horizon": self.horizon,
            "unit": self.unit,
            "n_customers": self.n_customers,
            "params": self.fit.params,
            "log_likelihood": self.fit.log_likelihood,
            "actual_total": t.actual_total,
            "predicted_total": t.predicted_total,
            "by_frequency": [
                {
                    "x": str(t.label[i]),
                    "customers": int(t.n_customers[i]),
                    "actual_mean": float(t.actual_mean[i]),
                    "predicted_mean": float(t.predicted_mean[i]),
                }
                for i in range(t.frequency.size)
            ],
        }


def holdout_end_for(until: dt.date, horizon: float, unit: str) -> dt.date:
    """The last day of a holdout of `horizon` units after `until`."""
    return until + dt.timedelta(days=round(horizon * UNITS[unit]))


def holdout_report(
    until: dt.date,
    horizon: float,
    *,
    unit: str = "weeks",
    model: str = "bgnbd",
    customers: QuerySet[Customer] | None = None,
) -> HoldoutReport:
    """Fit `model` on purchases up to `until`, predict each customer's purchases in the
    next `horizon` units and set them against what happened (FHL05 Figure 4).

    Only customers whose first purchase is on or before `until` count; ValueError when
    there are none.
    """
    if horizon <= 0:
        raise ValueError("the horizon must be positive")
    pm = purchase_model(model)
    end = holdout_end_for(until, horizon, unit)
    summary = customer_summary(until, customers=customers, holdout_end=end, unit_days=UNITS[unit])
    if len(summary) == 0:
        raise ValueError(f"nobody had bought anything by {until:%Y-%m-%d}")
    fit = pm.fit(summary.x, summary.t_x, summary.T)
    predicted = pm.expected(fit.params, horizon, summary.x, summary.t_x, summary.T)
    table = holdout_table(summary.x, summary.x_holdout, predicted)
    return HoldoutReport(
        model=model,
        fit=fit,
        table=table,
        until=until,
        holdout_end=end,
        horizon=horizon,
        unit=unit,
        n_customers=len(summary),
    )


def predict(
    pm: PurchaseModel, params: Mapping[str, float], summary: CustomerSummary, horizon: float
) -> tuple[np.ndarray, np.ndarray]:
    """(P(alive), expected purchases in the next `horizon` units) per customer."""
    p_alive = pm.p_alive(params, summary.x, summary.t_x, summary.T)
    expected = pm.expected(params, horizon, summary.x, summary.t_x, summary.T)
    return p_alive, expected
