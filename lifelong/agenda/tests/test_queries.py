"""The agenda's cost does not grow with its items: no query per item (issue 4)."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifelong.accounts.models import Business
from lifelong.agenda import services
from lifelong.customers.models import Customer, ProfileQuestion
from lifelong.customers.services import save_customer, set_answer

NOW = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 9)
pytestmark = pytest.mark.django_db
KINDS = ["contact", "occasion", "promise", "apology", "survey_recovery", "referral_ask",
         "referral_thanks"]  # fmt: skip


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def stockholm(db):
    Business.objects.update_or_create(pk=1, defaults={"time_zone": "Europe/Stockholm"})


def add_customers(owner, n, start):
    """`n` customers, each overdue for a contact and with a birthday this week."""
    birthday = ProfileQuestion.objects.get(key="birthday")
    for i in range(start, start + n):
        c = save_customer(Customer(owner=owner, first_name=f"C{i}", last_name="Due"))
        Customer.objects.filter(pk=c.pk).update(
            next_due_at=NOW - dt.timedelta(days=i + 1),
            last_touched_at=NOW - dt.timedelta(days=40 + i),
            value_rank=i % 10,
        )
        set_answer(c, birthday, f"1980-03-{10 + i % 5:02d}", by=owner)


def agenda_queries(user, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        items = services.agenda(user, TODAY, **kwargs)
    business = [q for q in ctx.captured_queries if '"accounts_business"' in q["sql"]]
    return items, len(ctx.captured_queries), len(business)


@pytest.mark.parametrize("who", ["rep", "business"])
def test_an_agenda_call_makes_as_many_queries_for_2_items_as_for_20(rep, who):
    user = rep if who == "rep" else None
    add_customers(rep, 1, 0)
    few, few_queries, few_business = agenda_queries(user)
    add_customers(rep, 9, 1)
    many, many_queries, many_business = agenda_queries(user)
    assert {i.kind for i in many} == {"contact", "occasion"}
    assert (len(few), len(many)) == (2, 20)
    assert many_queries == few_queries
    assert few_business == many_business
    # The sources written with Day.tz read the Business row only through agenda() itself.
    _, _, business = agenda_queries(user, kinds=KINDS)
    assert business == 1
    # The words still come out in the business's zone.
    assert any(i.context == "last touch 40 days ago" for i in many)


def test_the_weekly_plan_reads_the_business_once(rep, monkeypatch):
    mine = {k: v for k, v in services._sources.items() if k in KINDS}
    monkeypatch.setattr(services, "_sources", mine)
    add_customers(rep, 5, 0)
    with CaptureQueriesContext(connection) as ctx:
        plan = services.week(rep, TODAY)
    assert sum(len(items) for _, items, _ in plan) >= 10
    assert sum('"accounts_business"' in q["sql"] for q in ctx.captured_queries) == 1
