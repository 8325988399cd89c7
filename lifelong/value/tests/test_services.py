"""refresh_values writes snapshots, tiers, RFM and history; tier policies; Pareto and tiers."""

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer
from lifelong.value import services
from lifelong.value.records import AliveHistory, ValueFit, ValueSnapshot
from lifelong.value.services import (
    assign_tiers,
    pareto_curve,
    quintile_scores,
    refresh_values,
    tier_policy,
    tier_table,
)

from .purchases import bulk_buy, buy, local, make_customers

NOW = dt.datetime(2024, 6, 30, 18, 0, tzinfo=dt.UTC)


def shop(owner, n: int, *, seed: int = 1, repeat: bool = True) -> list[Customer]:
    """n customers buying over the year before NOW as BG/NBD says people do: each at a
    rate of their own, dropping out after a purchase with a chance of their own."""
    customers = make_customers(owner, n)
    rng = np.random.default_rng(seed)
    rows = []
    for c in customers:
        day = dt.date(2023, 7, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
        rate, dropout = rng.gamma(1.0, 0.03), rng.beta(1.0, 3.0)  # purchases a day
        while day <= NOW.date():
            rows.append((c.pk, local(day), float(rng.gamma(2.0, 40.0)) + 1))
            if not repeat or rng.random() < dropout:
                break
            day += dt.timedelta(days=1 + int(rng.exponential(1 / rate)))
    bulk_buy(rows)
    return customers


@pytest.fixture
def sixty(owner):
    return shop(owner, 60)


def test_refresh_fits_the_model_and_writes_a_snapshot_per_buyer(sixty, owner):
    (idle,) = make_customers(owner, 1, prefix="Idle")
    result = refresh_values(NOW)

    assert result.customers == 60
    assert result.skipped == ""
    fit = ValueFit.objects.get()
    assert fit.model == "bgnbd"
    assert set(fit.params) == {"r", "alpha", "a", "b"}
    assert fit.converged and fit.log_likelihood < 0
    assert set(fit.spend_params) == {"p", "q", "gamma"}
    assert fit.until == dt.date(2024, 6, 30)
    assert fit.n_customers == 60

    snaps = ValueSnapshot.objects.all()
    assert snaps.count() == 60
    assert not ValueSnapshot.objects.filter(customer=idle).exists()
    for s in snaps:
        assert 0 <= s.p_alive <= 1
        assert s.expected_purchases_90d >= 0
        assert 0 <= s.clv_1y <= s.clv_2y <= s.clv_10y
        assert s.model == "bgnbd"
        assert s.computed_at == NOW
        for score in (s.recency_score, s.frequency_score, s.monetary_score):
            assert 1 <= score <= 5
        assert s.rfm_cell == f"{s.recency_score}{s.frequency_score}{s.monetary_score}"
        assert s.purchase_count == Purchase.objects.filter(customer_id=s.customer_id).count()


def test_tiers_take_the_configured_shares_by_two_year_value(sixty):
    refresh_values(NOW)
    counts = {t: ValueSnapshot.objects.filter(tier=t).count() for t in "ABC"}
    assert counts == {"A": 12, "B": 18, "C": 30}
    lowest_a = min(ValueSnapshot.objects.filter(tier="A").values_list("clv_2y", flat=True))
    highest_b = max(ValueSnapshot.objects.filter(tier="B").values_list("clv_2y", flat=True))
    lowest_b = min(ValueSnapshot.objects.filter(tier="B").values_list("clv_2y", flat=True))
    highest_c = max(ValueSnapshot.objects.filter(tier="C").values_list("clv_2y", flat=True))
    assert lowest_a >= highest_b and lowest_b >= highest_c


def test_tier_cut_offs_come_from_settings(sixty, settings):
    settings.LIFELONG_VALUE = {
        **settings.LIFELONG_VALUE,
        "tiers": [("A", 0.1), ("B", 0.4), ("C", 0.5)],
    }
    refresh_values(NOW)
    counts = {t: ValueSnapshot.objects.filter(tier=t).count() for t in "ABC"}
    assert counts == {"A": 6, "B": 24, "C": 30}


def test_pareto_nbd_can_be_configured(sixty, settings):
    settings.LIFELONG_VALUE = {**settings.LIFELONG_VALUE, "model": "pnbd"}
    refresh_values(NOW)
    assert ValueFit.objects.get().model == "pnbd"
    assert set(ValueFit.objects.get().params) == {"r", "alpha", "s", "beta"}
    assert ValueSnapshot.objects.filter(model="pnbd", clv_2y__gt=0).count() == 60


def test_the_history_keeps_one_p_alive_per_customer_and_month(sixty):
    refresh_values(NOW)
    refresh_values(NOW + dt.timedelta(hours=1))
    assert AliveHistory.objects.count() == 60
    assert set(AliveHistory.objects.values_list("month", flat=True)) == {dt.date(2024, 6, 1)}
    c = sixty[0]
    assert services.p_alive_change(c) is None
    refresh_values(NOW + dt.timedelta(days=20))
    assert AliveHistory.objects.count() == 120
    assert ValueFit.objects.count() == 3
    # Without new purchases, P(alive) only falls as time passes.
    june, july = (
        AliveHistory.objects.filter(customer=c).order_by("month").values_list("p_alive", flat=True)
    )
    assert july <= june
    assert services.p_alive_change(c) == pytest.approx(july - june)
    # with a month missing in between there is no "last month" to compare with
    AliveHistory.objects.filter(customer=c, month=dt.date(2024, 7, 1)).update(
        month=dt.date(2024, 8, 1)
    )
    assert services.p_alive_change(c) is None


def test_a_refresh_drops_the_snapshots_of_customers_without_purchases(sixty):
    refresh_values(NOW)
    Purchase.objects.filter(customer=sixty[0]).delete()
    refresh_values(NOW)
    assert ValueSnapshot.objects.count() == 59
    assert not ValueSnapshot.objects.filter(customer=sixty[0]).exists()


def test_the_day_of_the_refresh_is_the_business_day(owner):
    # 23:30 UTC on 30 June is already 1 July in Stockholm: that day's purchase counts
    (c,) = make_customers(owner, 1)
    buy(c, dt.datetime(2024, 6, 30, 22, 30, tzinfo=dt.UTC))
    refresh_values(dt.datetime(2024, 6, 30, 23, 30, tzinfo=dt.UTC))
    snap = ValueSnapshot.objects.get()
    assert snap.last_purchase_on == dt.date(2024, 7, 1)
    assert ValueFit.objects.get().until == dt.date(2024, 7, 1)


def test_too_few_customers_skip_the_model_but_keep_revenue_rfm_and_tiers(owner):
    shop(owner, 8)
    result = refresh_values(NOW)
    assert "need at least 20" in result.skipped
    fit = ValueFit.objects.get()
    assert fit.model == "" and fit.params == {} and fit.log_likelihood is None
    snaps = list(ValueSnapshot.objects.order_by("-revenue"))
    assert len(snaps) == 8
    assert all(s.p_alive is None and s.clv_2y is None for s in snaps)
    # by historic revenue: round(0.2 * 8) = 2 in A, round(0.5 * 8) - 2 = 2 in B
    assert [s.tier for s in snaps] == ["A", "A", "B", "B", "C", "C", "C", "C"]
    assert all(1 <= s.monetary_score <= 5 for s in snaps)
    assert not AliveHistory.objects.exists()


def test_no_repeat_buyers_skip_the_model(owner):
    shop(owner, 30, repeat=False)
    result = refresh_values(NOW)
    assert "Nobody has bought on two different days" in result.skipped
    assert ValueSnapshot.objects.count() == 30
    assert set(ValueSnapshot.objects.values_list("frequency_score", flat=True)) == {1}


def test_few_repeat_buyers_fall_back_to_their_own_average_spend(sixty, settings):
    settings.LIFELONG_VALUE = {**settings.LIFELONG_VALUE, "min_repeat_buyers": 1000}
    result = refresh_values(NOW)
    assert "Spend: only" in result.skipped and "Gamma-Gamma needs 1000" in result.skipped
    fit = ValueFit.objects.get()
    assert fit.model == "bgnbd" and fit.spend_params == {}
    one = ValueSnapshot.objects.filter(purchase_days=1).first()
    assert one.expected_spend == pytest.approx(float(one.revenue))
    assert ValueSnapshot.objects.exclude(clv_2y=None).count() == 60


def test_a_model_that_does_not_converge_is_skipped(sixty, monkeypatch):
    from lifelong.value import fitting

    real = fitting.fit_summary

    def stuck(key, summary):
        return dataclasses.replace(real(key, summary), converged=False, message="stuck")

    monkeypatch.setattr(services, "fit_summary", stuck)
    result = refresh_values(NOW)
    assert "BG/NBD did not converge (stuck)" in result.skipped
    assert ValueSnapshot.objects.filter(clv_2y=None).count() == 60


def test_nothing_to_refresh(db):
    result = refresh_values(NOW)
    assert result.customers == 0
    assert "Only 0 customers" in result.skipped
    assert not ValueSnapshot.objects.exists()


def test_progress_lines(sixty):
    lines: list[str] = []
    refresh_values(NOW, progress=lines.append)
    assert lines[0].startswith("Summarised the purchases of 60 customers")
    assert any(line.startswith("Fitted BG/NBD") for line in lines)
    assert lines[-1].startswith("Wrote 60 value snapshots")


def test_tier_policies_have_a_thirty_day_floor(settings):
    assert tier_policy("A").contact_every_days == 14
    assert tier_policy("A").extras_allowed is True
    assert tier_policy("C").extras_allowed is False
    assert tier_policy(None) == services.TierPolicy(None, 30, False)
    settings.LIFELONG_VALUE = {
        **settings.LIFELONG_VALUE,
        "policies": {"A": {"contact_every_days": 90, "extras_allowed": True}},
    }
    assert tier_policy("A").contact_every_days == 30
    assert tier_policy("B") == services.TierPolicy("B", 30, False)


def test_quintile_scores():
    assert quintile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties share the score of the lowest of them
    assert quintile_scores([1, 1, 1, 1, 1, 1, 2, 3, 4, 5]).tolist() == [1] * 6 + [4, 4, 5, 5]
    assert quintile_scores([7]).tolist() == [1]
    assert quintile_scores([]).tolist() == []


def test_assign_tiers_breaks_ties_by_the_second_key():
    shares = [("A", 0.2), ("B", 0.3), ("C", 0.5)]
    value = np.array([5.0, 5.0, 1.0, 1.0, 1.0, 0, 0, 0, 0, 0])
    tiebreak = np.array([1.0, 2.0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert assign_tiers(value, tiebreak, shares).tolist() == list("AABBBCCCCC")
    assert assign_tiers(np.array([3.0]), np.zeros(1), shares).tolist() == ["C"]
    assert assign_tiers(np.array([3.0, 1.0, 2.0]), np.zeros(3), shares).tolist() == ["A", "C", "B"]


def snapshot(customer: Customer, revenue: str, tier: str, clv: float | None = None) -> None:
    ValueSnapshot.objects.create(
        customer=customer, revenue=Decimal(revenue), purchase_count=1, purchase_days=1,
        first_purchase_on=dt.date(2024, 1, 1), last_purchase_on=dt.date(2024, 1, 1),
        recency_score=3, frequency_score=1, monetary_score=3, rfm_cell="313", tier=tier,
        clv_2y=clv,
    )  # fmt: skip


def test_pareto_curve_and_the_top_twenty_percent(owner):
    customers = make_customers(owner, 10)
    revenues = ["600", "200", "50", "50", "40", "30", "20", "10", "0", "0"]
    for c, r in zip(customers, revenues, strict=True):
        snapshot(c, r, "C")
    curve = pareto_curve(Customer.objects.all())
    assert curve.n_customers == 10
    assert curve.total_revenue == 1000
    assert curve.top_share == pytest.approx(0.8)
    assert curve.customer_share.tolist() == pytest.approx([i / 10 for i in range(11)])
    assert curve.revenue_share[:3].tolist() == pytest.approx([0, 0.6, 0.8])
    assert curve.revenue_share[-1] == pytest.approx(1.0)
    assert np.all(np.diff(curve.revenue_share) >= 0)


def test_pareto_curve_is_thinned_for_drawing_and_empty_without_revenue(owner):
    customers = make_customers(owner, 450)
    ValueSnapshot.objects.bulk_create(
        ValueSnapshot(
            customer=c, revenue=Decimal(i + 1), purchase_count=1, purchase_days=1,
            first_purchase_on=dt.date(2024, 1, 1), last_purchase_on=dt.date(2024, 1, 1),
            recency_score=1, frequency_score=1, monetary_score=1, rfm_cell="111", tier="C",
        )
        for i, c in enumerate(customers)
    )  # fmt: skip
    curve = pareto_curve(Customer.objects.all())
    assert curve.customer_share.size == 101
    top = sum(range(361, 451)) / sum(range(1, 451))
    assert curve.top_share == pytest.approx(top)
    empty = pareto_curve(Customer.objects.none())
    assert empty.n_customers == 0 and empty.top_share == 0


def test_tier_table_counts_and_revenue_shares(owner, rep, customer):
    a, b, c = make_customers(owner, 3)
    snapshot(a, "700", "A", 900.0)
    snapshot(b, "200", "B", 100.0)
    snapshot(c, "100", "C", 10.0)
    snapshot(customer, "0", "C", 5.0)
    rows = tier_table(Customer.objects.all())
    assert [r.tier for r in rows] == ["A", "B", "C"]
    assert [r.customers for r in rows] == [1, 1, 2]
    assert [r.revenue_share for r in rows] == pytest.approx([0.7, 0.2, 0.1])
    assert [r.customer_share for r in rows] == pytest.approx([0.25, 0.25, 0.5])
    assert rows[2].clv_2y == pytest.approx(15.0)
    assert rows[0].policy.contact_every_days == 14
    mine = tier_table(Customer.objects.filter(owner=rep))
    assert [r.customers for r in mine] == [0, 0, 1]
