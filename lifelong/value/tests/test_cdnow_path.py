"""The whole path on CDNOW: CSV import → SQL summary → fits, holdout and refresh.

The sample is written as the CSV `lifelong import purchases --create-customers` reads
(customer,date,amount) and imported through that command; the later tests bulk-create the
same purchases, which is quicker. Every figure below comes out of the database summary,
not the fixture's own summary file. Published values: Fader,
Hardie & Lee (2005) for BG/NBD and Pareto/NBD, Fader & Hardie (2013) for Gamma-Gamma,
Batislam et al. (2007) as fitted by BTYDplus for MBG/NBD (see fixtures/README.md).
"""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from lifelong.customers.models import Customer
from lifelong.value.records import ValueFit, ValueSnapshot
from lifelong.value.services import refresh_values
from lifelong.value.summary import customer_summary

from . import cdnow
from .purchases import load_cdnow

RAW = cdnow.FIXTURES / "CDNOW_sample.txt"


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


def write_csv(path: Path) -> Path:
    """CDNOW_sample.txt (master_id sample_id yyyymmdd cds dollars) as customer,date,amount."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["customer", "date", "amount"])
        for line in RAW.read_text().splitlines():
            _, sample_id, ymd, _, dollars = line.split()
            out.writerow([f"cdnow-{sample_id}", ymd, dollars])
    return path


@pytest.fixture
def imported(owner, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import", "purchases", str(write_csv(tmp_path / "cdnow.csv")), "--create-customers",
        stdout=out, stderr=err,
    )  # fmt: skip
    assert Customer.objects.count() == 2357
    return out.getvalue()


@pytest.fixture
def loaded(owner):
    """The same purchases, bulk-created (quicker, for the tests after the import's)."""
    return load_cdnow(owner)


def fit(model: str) -> dict:
    out = io.StringIO()
    call_command("value", "fit", "--model", model, "--until", "1997-09-30", "--json", stdout=out)
    return json.loads(out.getvalue())


def assert_params(params: dict[str, float], published: dict[str, float]) -> None:
    for name, expected in published.items():
        assert sig3(params[name]) == sig3(expected), (name, params[name], expected)


def test_the_published_fits_from_imported_purchases(imported):
    summary = customer_summary(dt.date(1997, 9, 30))
    assert len(summary) == 2357
    assert summary.x.sum() == 2457
    assert int((summary.x > 0).sum()) == 946

    bgnbd = fit("bgnbd")
    assert bgnbd["n_customers"] == 2357
    assert_params(bgnbd["params"], {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert bgnbd["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert set(bgnbd) == {
        "model", "params", "log_likelihood", "std_errors", "n_customers", "seconds"
    }  # fmt: skip

    pnbd = fit("pnbd")
    assert_params(pnbd["params"], {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    assert pnbd["log_likelihood"] == pytest.approx(-9595.0, abs=0.1)

    gg = fit("gg")
    assert gg["n_customers"] == 946
    assert_params(gg["params"], {"p": 6.25, "q": 3.74, "gamma": 15.44})
    assert gg["log_likelihood"] == pytest.approx(-4055.92, abs=0.1)

    mbgnbd = fit("mbgnbd")
    assert_params(mbgnbd["params"], {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})


def test_the_holdout_has_1882_actual_repeat_purchases(loaded):
    out = io.StringIO()
    call_command(
        "value", "holdout", "--until", "1997-09-30", "--horizon", "39", "--json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert report["holdout_end"] == "1998-06-30"
    assert report["actual_total"] == 1882
    # the sum of the BG/NBD conditional expectations (regression value, as in test_summary)
    assert report["predicted_total"] == pytest.approx(1653.4, abs=1.0)
    groups = report["by_frequency"]
    assert [g["x"] for g in groups] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert groups[0]["customers"] == 1411
    np.testing.assert_allclose(
        [g["actual_mean"] for g in groups],
        [0.2367, 0.6970, 1.3925, 1.56, 2.5323, 2.9474, 3.8621, 6.3594],
        atol=1e-4,
    )


def test_a_refresh_at_the_calibration_end(loaded):
    # 22:00 in Stockholm on 30 September 1997: the calibration period of the papers
    result = refresh_values(dt.datetime(1997, 9, 30, 20, 0, tzinfo=dt.UTC))
    fit = ValueFit.objects.get()
    assert result.skipped == ""
    assert fit.until == dt.date(1997, 9, 30)
    assert_params(fit.params, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert_params(fit.spend_params, {"p": 6.25, "q": 3.74, "gamma": 15.44})
    assert fit.n_repeat_buyers == 946

    counts = {t: ValueSnapshot.objects.filter(tier=t).count() for t in "ABC"}
    # round(0.2 · 2357) = 471 in A, round(0.5 · 2357) - 471 = 707 in B
    assert counts == {"A": 471, "B": 707, "C": 1179}
    scores = ValueSnapshot.objects.values_list("recency_score", "frequency_score", "monetary_score")
    assert {s for row in scores for s in row} <= {1, 2, 3, 4, 5}
    # Fader & Hardie's example customer: x = 26, t_x = 30.857, T = 31 weeks
    star = ValueSnapshot.objects.get(purchase_days=27, customer_id=loaded[1516])
    assert star.p_alive == pytest.approx(0.96885, abs=1e-4)
    assert star.tier == "A"
    assert star.clv_1y < star.clv_2y < star.clv_10y
