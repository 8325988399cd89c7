"""The value API: summary, tiers, a customer's value, refresh; and who may see what."""

import datetime as dt

import pytest
from django.test import Client

from conftest import bearer
from lifelong.value.records import ValueSnapshot
from lifelong.value.services import refresh_values

from .purchases import buy
from .test_services import NOW, shop


@pytest.fixture
def refreshed(owner, customer):
    """Sixty customers of the owner's with purchases, and Anna (the rep's) buying too."""
    shop(owner, 60)
    for day in (dt.date(2024, 1, 5), dt.date(2024, 3, 1), dt.date(2024, 6, 1)):
        buy(customer, day, "120.00")
    refresh_values(NOW)


def get(user, path: str):
    return Client().get(f"/api/v1{path}", headers=bearer(user))


def test_summary_for_an_owner_covers_everyone(refreshed, owner):
    r = get(owner, "/value/summary")
    assert r.status_code == 200
    data = r.json()
    assert data["customers"] == 61
    assert data["top"] == 0.2
    assert 0.2 <= data["top_share"] <= 1
    assert data["pareto"][0] == {"customers": 0.0, "revenue": 0.0}
    assert data["pareto"][-1]["customers"] == 1.0
    assert [t["tier"] for t in data["tiers"]] == ["A", "B", "C"]
    assert sum(t["customers"] for t in data["tiers"]) == 61
    assert data["fit"]["model"] == "bgnbd"
    assert set(data["fit"]["params"]) == {"r", "alpha", "a", "b"}
    assert data["last_refresh"].startswith("2024-06-30T18:00:00")


def test_summary_for_a_rep_covers_their_customers(refreshed, rep):
    data = get(rep, "/value/summary").json()
    assert data["customers"] == 1
    assert data["top_share"] == 1.0
    assert data["total_revenue"] == 360.0


def test_tiers(refreshed, manager, outsider):
    tiers = get(manager, "/value/tiers").json()
    assert [(t["tier"], t["customers"]) for t in tiers] == [("A", 12), ("B", 18), ("C", 31)]
    assert tiers[0]["policy"] == {"contact_every_days": 14, "extras_allowed": True}
    assert abs(sum(t["revenue_share"] for t in tiers) - 1) < 1e-9
    assert [t["customers"] for t in get(outsider, "/value/tiers").json()] == [0, 0, 0]


def test_a_customers_value(refreshed, rep, customer):
    r = get(rep, f"/customers/{customer.pk}/value")
    assert r.status_code == 200
    data = r.json()
    assert data["customer"] == customer.pk
    assert data["revenue"] == 360.0
    assert data["purchase_count"] == 3 and data["purchase_days"] == 3
    assert data["last_purchase_on"] == "2024-06-01"
    assert 0 < data["p_alive"] <= 1
    assert data["clv_1y"] <= data["clv_2y"] <= data["clv_10y"]
    assert data["tier"] in "ABC"
    assert data["policy"]["contact_every_days"] <= 30
    assert data["rfm_cell"] == (
        f"{data['recency_score']}{data['frequency_score']}{data['monetary_score']}"
    )


def test_an_outsider_gets_404_for_another_reps_customer(refreshed, outsider, customer):
    r = get(outsider, f"/customers/{customer.pk}/value")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found"}


def test_a_customer_without_value_is_404_with_a_reason(owner, customer):
    r = get(owner, f"/customers/{customer.pk}/value")
    assert r.status_code == 404
    assert "No value for this customer yet" in r.json()["detail"]


def test_refresh_is_for_owners_and_managers(owner, manager, rep, customer):
    buy(customer, dt.date(2024, 1, 5), "50")
    r = Client().post("/api/v1/value/refresh", headers=bearer(rep))
    assert r.status_code == 403
    assert r.json() == {"detail": "Only an owner or a manager can refresh the values."}
    assert not ValueSnapshot.objects.exists()
    for user in (owner, manager):
        r = Client().post("/api/v1/value/refresh", headers=bearer(user))
        assert r.status_code == 200
        data = r.json()
        assert data["customers"] == 1
        assert "need at least 20" in data["fit"]["skipped"]
    assert ValueSnapshot.objects.get().customer_id == customer.pk


def test_without_a_token(db):
    assert Client().get("/api/v1/value/summary").status_code == 401


def test_the_summary_before_any_refresh(owner):
    data = get(owner, "/value/summary").json()
    assert data["customers"] == 0
    assert data["fit"] is None and data["last_refresh"] is None
    assert data["pareto"] == [
        {"customers": 0.0, "revenue": 0.0},
        {"customers": 1.0, "revenue": 0.0},
    ]
