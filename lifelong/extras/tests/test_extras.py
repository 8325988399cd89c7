"""Extras: the rule at its boundaries, the window, the tier policy, the agenda item and
its actions, the report's arithmetic, the pages, the API and the outsider's 404s."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import bearer, client_for
from lifelong.agenda.services import act, agenda
from lifelong.commerce.models import Purchase
from lifelong.commerce.services import record_purchase
from lifelong.customers.models import Customer
from lifelong.extras import services
from lifelong.extras.demo import add_demo_extras
from lifelong.extras.models import (
    Extra,
    ExtraGiven,
    ExtraRule,
    ExtraSuggestion,
    SuggestionStatus,
)
from lifelong.touches.models import Touch
from lifelong.value.records import ValueSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery() -> Extra:
    return Extra.objects.create(name="Free delivery", cost=Decimal("15.00"))


@pytest.fixture
def rule(delivery) -> ExtraRule:
    return ExtraRule.objects.create(
        name="Big order", tier_in=["A"], order_multiple=Decimal(2), extra=delivery
    )


def tier(customer: Customer, name: str) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(tier=name, value_rank=9)
    customer.tier = name
    return customer


def buy(customer: Customer, total: str, days_ago: int = 0) -> Purchase:
    when = timezone.now() - dt.timedelta(days=days_ago)
    return record_purchase(customer, occurred_at=when, total=total)


def history(customer: Customer) -> None:
    """Three earlier orders averaging 100, before any rule exists."""
    active = list(ExtraRule.objects.filter(active=True))
    ExtraRule.objects.update(active=False)
    for days, total in ((300, "50"), (200, "100"), (100, "150")):
        buy(customer, total, days)
    ExtraRule.objects.filter(pk__in=[r.pk for r in active]).update(active=True)


# ---------------------------------------------------------------- the rule


def test_exactly_k_times_the_average_suggests(customer, rule):
    tier(customer, "A")
    history(customer)
    purchase = buy(customer, "200.00")
    s = ExtraSuggestion.objects.get()
    assert (s.customer, s.purchase, s.rule) == (customer, purchase, rule)
    assert s.multiple == pytest.approx(2.0)


def test_just_below_k_times_does_not(customer, rule):
    tier(customer, "A")
    history(customer)
    buy(customer, "199.99")
    assert not ExtraSuggestion.objects.exists()


def test_no_average_no_suggestion(customer, rule):
    tier(customer, "A")
    buy(customer, "1000")  # a first order has no average to beat
    assert not ExtraSuggestion.objects.exists()


def test_another_tier_does_not(customer, rule):
    tier(customer, "B")
    history(customer)
    buy(customer, "500")
    assert not ExtraSuggestion.objects.exists()


def test_n_purchases_boundary(customer, delivery):
    tier(customer, "B")
    ExtraRule.objects.create(name="Fourth order", min_purchases=4, extra=delivery)
    ExtraRule.objects.update(active=False)
    buy(customer, "10", 30)
    buy(customer, "10", 20)
    ExtraRule.objects.update(active=True)
    buy(customer, "10", 10)  # the third: not yet
    assert not ExtraSuggestion.objects.exists()
    buy(customer, "10")  # the fourth
    assert ExtraSuggestion.objects.count() == 1


def test_rule_matches_pure():
    r = ExtraRule(min_purchases=3, tier_in=["A"], order_multiple=Decimal("1.5"))
    avg = Decimal(100)
    assert services.rule_matches(r, "C", 3, Decimal(150), avg)  # N orders
    assert services.rule_matches(r, "A", 1, Decimal(150), avg)  # or tier A
    assert not services.rule_matches(r, "C", 2, Decimal(150), avg)
    assert not services.rule_matches(r, "A", 5, Decimal("149.99"), avg)


def test_inactive_rules_and_extras_do_nothing(customer, rule, delivery):
    tier(customer, "A")
    history(customer)
    delivery.active = False
    delivery.save()
    buy(customer, "500")
    assert not ExtraSuggestion.objects.exists()


# ---------------------------------------------------------------- window and policy


def test_no_second_suggestion_within_the_window(customer, rule):
    tier(customer, "A")
    history(customer)
    buy(customer, "500")
    buy(customer, "900")
    assert ExtraSuggestion.objects.count() == 1


def test_after_the_window_a_new_suggestion(customer, rule, settings):
    settings.LIFELONG_EXTRAS = {"window_days": 30}
    tier(customer, "A")
    history(customer)
    buy(customer, "500")
    ExtraSuggestion.objects.update(created_at=timezone.now() - dt.timedelta(days=30, seconds=1))
    buy(customer, "900")
    assert ExtraSuggestion.objects.count() == 2


def test_an_extra_given_also_counts_for_the_window(customer, rule, delivery, rep):
    tier(customer, "A")
    history(customer)
    services.give(customer, delivery, by=rep)
    buy(customer, "500")
    assert not ExtraSuggestion.objects.exists()


def test_tier_policy_must_allow_extras(customer, delivery):
    ExtraRule.objects.create(name="Anyone", extra=delivery)
    tier(customer, "C")  # the default policy: no extras for C
    buy(customer, "10")
    assert not ExtraSuggestion.objects.exists()
    tier(customer, "B")
    buy(customer, "10")
    assert ExtraSuggestion.objects.count() == 1


def test_bulk_created_purchases_suggest_nothing(customer, delivery):
    ExtraRule.objects.create(name="Anyone", extra=delivery)
    tier(customer, "A")
    Purchase.objects.bulk_create(
        [Purchase(customer=customer, occurred_at=timezone.now(), total=10, currency="EUR")]
    )
    assert not ExtraSuggestion.objects.exists()


# ---------------------------------------------------------------- agenda


@pytest.fixture
def suggestion(customer, rule) -> ExtraSuggestion:
    tier(customer, "A")
    history(customer)
    buy(customer, "320")
    return ExtraSuggestion.objects.get()


def test_agenda_item(suggestion, rep):
    items = agenda(rep, kinds=["extra"])
    assert [i.key for i in items] == [f"extra:{suggestion.pk}"]
    assert items[0].reason.startswith(
        "Big order (3.2\u00d7 their average) — give free delivery (cost 15) — Anna Berg (tier A)"
    )


def test_done_gives_it(suggestion, rep, customer):
    act(rep, f"extra:{suggestion.pk}", "done")
    given = ExtraGiven.objects.get()
    assert (given.customer, given.cost, given.given_by) == (customer, Decimal("15.00"), rep)
    assert given.purchase_id == suggestion.purchase_id
    assert Touch.objects.get(customer=customer).channel == "gift"
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.GIVEN
    assert agenda(rep, kinds=["extra"]) == []


def test_dismiss_declines(suggestion, rep):
    act(rep, f"extra:{suggestion.pk}", "dismiss")
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DECLINED
    assert not ExtraGiven.objects.exists()


def test_snooze(suggestion, rep):
    today = timezone.localdate()
    act(rep, f"extra:{suggestion.pk}", "snooze", days=2, today=today)
    assert agenda(rep, today + dt.timedelta(days=1), kinds=["extra"]) == []
    assert agenda(rep, today + dt.timedelta(days=2), kinds=["extra"]) != []


def test_outsider_cannot_act(suggestion, outsider):
    from django.http import Http404

    assert agenda(outsider, kinds=["extra"], everyone=True) == []
    with pytest.raises(Http404):
        act(outsider, f"extra:{suggestion.pk}", "done")


# ---------------------------------------------------------------- report


def test_report_arithmetic(customer, rep, delivery, owner):
    gift = Extra.objects.create(name="Gift", cost=Decimal("25.00"))
    buy(customer, "100", 50)
    services.give(customer, delivery, by=rep, when=timezone.now() - dt.timedelta(days=40))
    buy(customer, "70", 30)
    services.give(customer, gift, by=rep, when=timezone.now() - dt.timedelta(days=20))
    buy(customer, "30", 10)
    ValueSnapshot.objects.create(
        customer=customer, revenue=Decimal(200), purchase_count=3, purchase_days=3,
        first_purchase_on=dt.date(2026, 1, 1), last_purchase_on=dt.date(2026, 2, 1),
        recency_score=3, frequency_score=3, monetary_score=3, rfm_cell="333", tier="A",
        clv_2y=400.0,
    )  # fmt: skip
    r = services.report(Customer.objects.all())
    assert (r.extras, r.customers, r.cost) == (2, 1, Decimal("40.00"))
    assert r.revenue_after == Decimal("100.00")  # after the first extra, once
    assert r.revenue_per_cost == pytest.approx(2.5)
    assert r.clv_2y == 400.0
    assert r.tiers[0].with_extras == 1 and r.tiers[0].avg_clv_with == 400.0
    assert services.report(Customer.objects.filter(owner=owner)).extras == 0


# ---------------------------------------------------------------- pages and API


def test_panel_and_give_form(customer, rep_client, delivery):
    page = rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Give an extra" in page
    response = rep_client.post(f"/extras/give/{customer.pk}/", {"extra": delivery.pk})
    assert response.status_code == 302
    assert "Free delivery" in rep_client.get(f"/customers/{customer.pk}/").content.decode()


def test_outsider_gets_404_giving(customer, outsider_client, delivery):
    response = outsider_client.post(f"/extras/give/{customer.pk}/", {"extra": delivery.pk})
    assert response.status_code == 404
    assert not ExtraGiven.objects.exists()


def test_extras_page(owner_client, rule, customer, rep, delivery):
    services.give(customer, delivery, by=rep)
    html = owner_client.get("/extras/").content.decode()
    assert "Big order" in html and "Anna Berg" in html and "Add a rule" in html


def test_outsider_sees_no_log(outsider_client, customer, rep, delivery):
    services.give(customer, delivery, by=rep)
    html = outsider_client.get("/extras/").content.decode()
    assert "Anna Berg" not in html and "Add a rule" not in html


def test_rep_cannot_edit(rep_client):
    assert rep_client.post("/extras/new/", {"name": "X", "cost": "1"}).status_code == 403


def test_owner_adds_extra_and_rule(owner_client):
    owner_client.post("/extras/new/", {"name": "Gift", "cost": "5", "active": "on"})
    extra = Extra.objects.get()
    owner_client.post(
        "/extras/rules/new/",
        {"name": "Regulars", "min_purchases": "5", "extra": extra.pk, "active": "on"},
    )
    assert ExtraRule.objects.get().min_purchases == 5


def test_api(customer, rep, outsider, owner, delivery, suggestion):
    client = client_for(rep)
    assert client.get("/api/v1/extras", headers=bearer(rep)).json()[0]["name"] == "Free delivery"
    assert len(client.get("/api/v1/extras/suggestions", headers=bearer(rep)).json()) == 1
    given = client.post(
        f"/api/v1/customers/{customer.pk}/extras", {"extra_id": delivery.pk},
        content_type="application/json", headers=bearer(rep),
    )  # fmt: skip
    assert given.status_code == 201
    assert len(client.get("/api/v1/extras/given", headers=bearer(rep)).json()) == 1
    outsider_h = bearer(outsider)
    assert client.get("/api/v1/extras/given", headers=outsider_h).json() == []
    assert client.get("/api/v1/extras/suggestions", headers=outsider_h).json() == []
    assert (
        client.post(
            f"/api/v1/customers/{customer.pk}/extras", {"extra_id": delivery.pk},
            content_type="application/json", headers=outsider_h,
        ).status_code
        == 404
    )  # fmt: skip
    assert (
        client.get(f"/api/v1/customers/{customer.pk}/extras", headers=outsider_h).status_code == 404
    )
    assert client.post(
        "/api/v1/extras", {"name": "X", "cost": "1"}, content_type="application/json",
        headers=bearer(rep),
    ).status_code == 403  # fmt: skip
    made = client.post(
        "/api/v1/extras/rules", {"name": "R", "extra_id": delivery.pk, "tier_in": ["A"]},
        content_type="application/json", headers=bearer(owner),
    )  # fmt: skip
    assert made.status_code == 201


def test_demo(customer, rep):
    n = add_demo_extras([customer], random.Random(1), timezone.localdate())
    assert n == 1 and Extra.objects.count() == 3 and ExtraRule.objects.count() == 1
