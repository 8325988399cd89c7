"""Loaders for the fixture data sets (see fixtures/README.md for their origin)."""

from functools import cache
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).parent / "fixtures"
CALIBRATION_END = np.datetime64("1997-09-30")
HOLDOUT_END = np.datetime64("1998-06-30")


@cache
def summary() -> dict[str, np.ndarray]:
    """The published CDNOW calibration summary: ID, x, t_x, T (weeks), zbar."""
    data = np.genfromtxt(
        FIXTURES / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    return {name: data[name] for name in data.dtype.names}


@cache
def transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The raw CDNOW sample: (customer id, day, dollars) per purchase."""
    raw = np.loadtxt(FIXTURES / "CDNOW_sample.txt", dtype=str)
    ymd = raw[:, 2]
    days = np.array([f"{s[:4]}-{s[4:6]}-{s[6:]}" for s in ymd], dtype="datetime64[D]")
    return raw[:, 1].astype(np.int64), days, raw[:, 4].astype(float)


@cache
def donations() -> dict[str, np.ndarray]:
    """The BG/BB donations example, compressed: frequency, recency, periods, weights."""
    data = np.genfromtxt(FIXTURES / "donations.csv", delimiter=",", names=True)
    return {name: data[name] for name in data.dtype.names}
