"""`lifelong value refresh|fit|holdout`."""

import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command

from lifelong.value.records import ValueFit, ValueSnapshot

from .test_services import NOW, shop


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("value", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sixty(owner):
    return shop(owner, 60)


@time_machine.travel(NOW, tick=False)
def test_refresh_reports_its_steps(sixty):
    out = run("refresh")
    assert "Summarised the purchases of 60 customers up to 2024-06-30." in out
    assert "Fitted BG/NBD on 60 customers: r=" in out
    assert "Refreshed 60 customers with BG/NBD in" in out
    assert ValueSnapshot.objects.count() == 60
    assert ValueFit.objects.get().computed_at == NOW


@time_machine.travel(NOW, tick=False)
def test_refresh_without_enough_data_says_what_it_did(owner):
    shop(owner, 5)
    out = run("refresh")
    assert "Only 5 customers have purchases" in out
    assert "Refreshed 5 customers without a model (revenue, RFM and tiers only)" in out


@time_machine.travel(NOW, tick=False)
def test_fit_prints_json(sixty):
    report = json.loads(run("fit", "--model", "bgnbd", "--json"))
    assert set(report) == {
        "model", "params", "log_likelihood", "std_errors", "n_customers", "seconds"
    }  # fmt: skip
    assert report["model"] == "bgnbd"
    assert report["n_customers"] == 60
    assert set(report["params"]) == {"r", "alpha", "a", "b"}
    assert report["seconds"] >= 0


def test_fit_in_days_scales_the_rate_parameter(sixty):
    weeks = json.loads(run("fit", "--model", "pnbd", "--until", "2024-06-30", "--json"))
    days = json.loads(
        run("fit", "--model", "pnbd", "--until", "2024-06-30", "--unit", "days", "--json")
    )
    # alpha and beta are in the time unit: a week is 7 days
    assert days["params"]["alpha"] == pytest.approx(7 * weeks["params"]["alpha"], rel=1e-3)
    assert days["params"]["r"] == pytest.approx(weeks["params"]["r"], rel=1e-3)


def test_fit_up_to_an_earlier_date_sees_fewer_customers(sixty):
    early = json.loads(run("fit", "--model", "bgnbd", "--until", "2023-09-30", "--json"))
    assert 0 < early["n_customers"] < 60


def test_fit_gamma_gamma_and_the_readable_form(sixty):
    out = run("fit", "--model", "gg", "--until", "2024-06-30")
    assert out.startswith("Gamma-Gamma on ")
    assert "gamma =" in out and "log-likelihood" in out


def test_holdout_table(sixty):
    out = run("holdout", "--until", "2024-03-31", "--horizon", "13")
    assert "holdout 13 weeks to 2024-06-30" in out
    assert "   0 " in out and "  7+ " in out
    assert "Repeat purchases in the holdout:" in out
    report = json.loads(run("holdout", "--until", "2024-03-31", "--horizon", "13", "--json"))
    assert report["actual_total"] == sum(
        g["actual_mean"] * g["customers"] for g in report["by_frequency"]
    )


def test_bad_input_is_a_command_error(db):
    with pytest.raises(CommandError, match="not a date"):
        run("fit", "--until", "30/06/2024")
    with pytest.raises(CommandError, match="Cannot fit bgnbd"):
        run("fit", "--until", "2024-06-30")
    with pytest.raises(CommandError, match="nobody had bought anything"):
        run("holdout", "--until", "2024-06-30", "--horizon", "4")
    with pytest.raises(CommandError, match="invalid choice"):
        run("fit", "--model", "lifetimes")
