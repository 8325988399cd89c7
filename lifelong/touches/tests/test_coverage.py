"""Keep-in-touch coverage: the 30-day share, by owner and tier, month by month, the lists;
the page, the API and the CLI, each only over the customers the user may see."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.test import Client
from django.urls import reverse

from conftest import bearer
from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer, Status
from lifelong.touches import coverage as cov
from lifelong.touches.models import Touch

UTC = dt.UTC
NOW = dt.datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
LONG_AGO = dt.datetime(2024, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def make(owner: User, name: str, *, status: str = Status.CUSTOMER, tier: str = "", **extra):
    return Customer.objects.create(
        owner=owner,
        first_name=name,
        last_name="Test",
        sort_name=f"test {name}".lower(),
        status=status,
        tier=tier,
        created_at=extra.pop("created_at", LONG_AGO),
        **extra,
    )


def touch(customer: Customer, when: dt.datetime) -> Touch:
    """A touch, and last_touched_at kept true as touches.services keeps it."""
    t = Touch.objects.create(customer=customer, channel="call", summary="Hi", occurred_at=when)
    latest = customer.touches.aggregate(m=Max("occurred_at"))["m"]
    Customer.objects.filter(pk=customer.pk).update(last_touched_at=latest)
    return t


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


# ---------------------------------------------------------------- the 30-day share


def test_the_share_counts_touches_inside_the_window_only(owner):
    inside, edge, outside, _never = (make(owner, n) for n in ("in", "edge", "out", "never"))
    touch(inside, days_ago(3))
    touch(edge, days_ago(30))  # exactly 30 days ago is still inside
    touch(outside, days_ago(30.01))
    touch(outside, days_ago(200))
    report = cov.coverage(Customer.objects.all(), NOW)
    assert (report.total.count, report.total.touched) == (4, 2)
    assert report.share == 0.5
    assert report.since == days_ago(30)


def test_prospects_and_archived_customers_are_left_out(owner):
    make(owner, "prospect", status=Status.PROSPECT)
    archived = make(owner, "archived", archived_at=days_ago(1))
    touch(archived, days_ago(2))
    former = make(owner, "former", status=Status.FORMER)
    touch(former, days_ago(2))
    make(owner, "customer")
    report = cov.coverage(Customer.objects.all(), NOW)
    assert (report.total.count, report.total.touched) == (2, 1)
    assert cov.never_touched(Customer.objects.all(), 10).total == 1


def test_by_owner_lowest_share_first(owner, rep, manager):
    for i in range(3):
        c = make(rep, f"r{i}")
        if i:
            touch(c, days_ago(1))
    touch(make(owner, "o"), days_ago(1))
    make(manager, "m")
    rows = cov.coverage(Customer.objects.all(), NOW).by_owner
    assert [(r.label, r.count, r.touched) for r in rows] == [
        ("Maja Manager", 1, 0),
        ("Ruben Rep", 3, 2),
        ("Olivia Owner", 1, 1),
    ]
    assert rows[1].share == pytest.approx(2 / 3)
    assert rows[1].username == "ruben" and rows[1].owner_id == rep.pk


def test_by_tier_always_lists_a_b_c_and_no_tier(owner):
    touch(make(owner, "a1", tier="A"), days_ago(1))
    make(owner, "a2", tier="A")
    make(owner, "c", tier="C")
    touch(make(owner, "none"), days_ago(5))
    rows = cov.coverage(Customer.objects.all(), NOW).by_tier
    assert [(r.label, r.count, r.touched, r.share) for r in rows] == [
        ("A", 2, 1, 0.5),
        ("B", 0, 0, None),
        ("C", 1, 0, 0.0),
        ("no tier yet", 1, 1, 1.0),
    ]


# ---------------------------------------------------------------- month by month


def test_twelve_months_oldest_first_the_last_partial(owner):
    c = make(owner, "c", created_at=dt.datetime(2024, 9, 10, tzinfo=UTC))
    touch(c, dt.datetime(2024, 10, 5, tzinfo=UTC))
    touch(c, dt.datetime(2024, 10, 6, tzinfo=UTC))  # twice in a month counts once
    touch(c, dt.datetime(2025, 3, 1, 9, tzinfo=UTC))
    touch(make(owner, "old"), dt.datetime(2024, 3, 20, tzinfo=UTC))  # before the 12 months
    make(owner, "p", status=Status.PROSPECT, created_at=LONG_AGO)
    months = cov.monthly(Customer.objects.all(), NOW)
    assert [m.label for m in months][:2] == ["Apr 2024", "May 2024"]
    assert months[-1].label == "Mar 2025 (so far)"
    assert [m.partial for m in months] == [False] * 11 + [True]
    by_label = {m.label.split(" (")[0]: m for m in months}
    assert (by_label["Aug 2024"].customers, by_label["Aug 2024"].touched) == (1, 0)
    assert (by_label["Sep 2024"].customers, by_label["Sep 2024"].touched) == (2, 0)
    assert (by_label["Oct 2024"].customers, by_label["Oct 2024"].touched) == (2, 1)
    assert by_label["Oct 2024"].share == 0.5
    assert (by_label["Mar 2025"].customers, by_label["Mar 2025"].touched) == (2, 1)


def test_months_follow_the_business_time_zone(owner):
    business = Business.get()
    business.time_zone = "Europe/Stockholm"
    business.save()
    c = make(owner, "c")
    # 23:30 UTC on 31 January is 00:30 on 1 February in Stockholm: a February touch.
    touch(c, dt.datetime(2025, 1, 31, 23, 30, tzinfo=UTC))
    d = make(owner, "d")
    # 22:59 UTC on 28 February is still February in Stockholm (23:59).
    touch(d, dt.datetime(2025, 2, 28, 22, 59, tzinfo=UTC))
    # A customer created at 23:30 UTC on 28 February exists from March in Stockholm.
    make(owner, "late", created_at=dt.datetime(2025, 2, 28, 23, 30, tzinfo=UTC))
    months = {m.label.split(" (")[0]: m for m in cov.monthly(Customer.objects.all(), NOW)}
    assert months["Jan 2025"].touched == 0
    assert (months["Feb 2025"].customers, months["Feb 2025"].touched) == (2, 2)
    assert months["Feb 2025"].start == dt.datetime(2025, 2, 1, tzinfo=business.tzinfo)
    assert months["Mar 2025"].customers == 3

    # In New York the same touch is still January.
    business.time_zone = "America/New_York"
    business.save()
    months = {m.label.split(" (")[0]: m for m in cov.monthly(Customer.objects.all(), NOW)}
    assert (months["Jan 2025"].touched, months["Feb 2025"].touched) == (1, 1)


def test_a_touch_before_the_customer_existed_does_not_count(owner):
    c = make(owner, "c", created_at=dt.datetime(2025, 1, 10, tzinfo=UTC))
    touch(c, dt.datetime(2024, 12, 5, tzinfo=UTC))  # backdated, before the record
    months = {m.label.split(" (")[0]: m for m in cov.monthly(Customer.objects.all(), NOW)}
    assert (months["Dec 2024"].customers, months["Dec 2024"].touched) == (0, 0)
    assert months["Dec 2024"].share is None


def test_month_starts_cross_the_year():
    tz = Business.get().tzinfo
    starts = cov.month_starts(dt.datetime(2025, 2, 3, tzinfo=UTC), 3, tz)
    assert [(s.year, s.month) for s in starts] == [(2024, 12), (2025, 1), (2025, 2), (2025, 3)]


# ---------------------------------------------------------------- the lists


def test_never_touched_and_longest_untouched(owner):
    never = [make(owner, f"n{i}") for i in range(3)]
    quiet = [make(owner, f"q{i}") for i in range(3)]
    for i, c in enumerate(quiet):
        touch(c, days_ago(100 - i * 10))
    touch(make(owner, "recent"), days_ago(2))
    result = cov.never_touched(Customer.objects.all(), 2)
    assert result.items == never[:2] and result.total == 3
    result = cov.longest_untouched(Customer.objects.all(), 2, now=NOW)
    assert result.items == quiet[:2] and result.total == 3
    assert cov.longest_untouched(Customer.objects.all(), 10, now=NOW).items == quiet


# ---------------------------------------------------------------- the page


@pytest.fixture
def two_owners(owner, rep, customer):
    """Anna Berg (rep's, touched 5 days ago) and two of the owner's, one never touched."""
    # Fixtures run before the test's clock is frozen: Anna must exist before NOW.
    Customer.objects.filter(pk=customer.pk).update(created_at=LONG_AGO)
    touch(customer, days_ago(5))
    touch(make(owner, "Olle", tier="B"), days_ago(45))
    make(owner, "Nora")
    return customer


@time_machine.travel(NOW, tick=False)
def test_the_page_for_the_owner(owner_client, two_owners):
    response = owner_client.get(reverse("touches:coverage"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "33%</strong> of your customers heard from you in the last 30 days — goal 100%" in html
    assert "By owner" in html and "Ruben Rep" in html and "Olivia Owner" in html
    assert "By tier" in html
    assert "<svg" in html and html.count('class="bar ') == 12
    assert 'class="bar partial"' in html
    assert 'last touch </span><span class="nowrap">45 days ago' in html
    assert reverse("customers:detail", args=[two_owners.pk]) not in html  # touched lately
    assert "Nora Test" in html


@time_machine.travel(NOW, tick=False)
def test_a_rep_sees_only_their_customers(rep_client, two_owners):
    html = rep_client.get(reverse("touches:coverage")).content.decode()
    assert "100%</strong> of your customers heard from you" in html
    assert "By owner" not in html
    assert "Olle" not in html and "Nora" not in html


@time_machine.travel(NOW, tick=False)
def test_an_outsider_sees_nothing_of_others(outsider_client, two_owners):
    html = outsider_client.get(reverse("touches:coverage")).content.decode()
    assert "No customers to keep in touch with yet" in html
    assert "Anna" not in html and "Olle" not in html and "<svg" not in html


def test_the_empty_state(owner_client):
    response = owner_client.get(reverse("touches:coverage"))
    assert response.status_code == 200
    assert "No customers to keep in touch with yet" in response.content.decode()


def test_the_page_needs_a_login(db):
    response = Client().get(reverse("touches:coverage"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_lists_link_to_the_customer_list_by_last_touch(owner_client, owner):
    for i in range(25):
        make(owner, f"x{i:02}")
    html = owner_client.get(reverse("touches:coverage")).content.decode()
    assert "Showing 20 of 25" in html
    assert reverse("customers:list") + "?sort=touched" in html


# ---------------------------------------------------------------- the API


@time_machine.travel(NOW, tick=False)
def test_the_api_for_the_owner(owner, rep, two_owners):
    body = Client().get("/api/v1/coverage", headers=bearer(owner)).json()
    assert (body["customers"], body["touched"], body["goal"]) == (3, 1, 1.0)
    assert body["share"] == pytest.approx(1 / 3)
    assert body["window_days"] == 30
    assert body["since"] == "2025-02-13T12:00:00Z"
    assert [(o["owner"]["username"], o["customers"], o["touched"]) for o in body["by_owner"]] == [
        ("olivia", 2, 0),
        ("ruben", 1, 1),
    ]
    assert [t["tier"] for t in body["by_tier"]] == ["A", "B", "C", ""]
    assert len(body["months"]) == 12
    assert body["months"][-1] == {
        "month": "2025-03",
        "customers": 3,
        "touched": 1,
        "share": pytest.approx(1 / 3),
        "partial": True,
    }


@time_machine.travel(NOW, tick=False)
def test_the_api_for_a_rep_and_an_outsider(rep, outsider, two_owners):
    body = Client().get("/api/v1/coverage", headers=bearer(rep)).json()
    assert (body["customers"], body["touched"]) == (1, 1)
    assert [o["owner"]["username"] for o in body["by_owner"]] == ["ruben"]
    body = Client().get("/api/v1/coverage", headers=bearer(outsider)).json()
    assert (body["customers"], body["share"], body["by_owner"]) == (0, None, [])
    assert all(m["customers"] == 0 for m in body["months"])


def test_the_api_needs_a_token(db):
    assert Client().get("/api/v1/coverage").status_code == 401


# ---------------------------------------------------------------- the CLI


def run(*args: str) -> str:
    out = StringIO()
    call_command("coverage", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_the_cli_prints_the_headline_and_tables(two_owners):
    text = run()
    assert text.startswith("33% of your customers heard from you in the last 30 days")
    assert "Ruben Rep" in text and "no tier yet" in text and "Mar 2025 (so far)" in text


@time_machine.travel(NOW, tick=False)
def test_the_cli_for_a_rep_and_an_outsider(rep, outsider, two_owners):
    text = run("--user", "ruben")
    assert text.startswith("100% of your customers")
    assert "Owner" not in text and "Olle" not in text
    data = json.loads(run("--user", "ruben", "--json"))
    assert (data["customers"], [o["name"] for o in data["by_owner"]]) == (1, ["Ruben Rep"])
    assert json.loads(run("--user", "otto", "--json"))["customers"] == 0


def test_the_cli_json_and_unknown_users(owner, outsider):
    data = json.loads(run("--json"))
    assert data["customers"] == 0 and len(data["months"]) == 12
    assert "nobody to keep in touch with" in run("--user", "otto")
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        run("--user", "nobody")
