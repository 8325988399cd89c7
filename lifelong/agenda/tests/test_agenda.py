"""The agenda: what is on it, in what order, for whom, and what its buttons do."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse

from conftest import bearer
from lifelong.accounts.models import Business
from lifelong.agenda import services
from lifelong.agenda.items import lateness, score
from lifelong.customers import cadence
from lifelong.customers.models import Customer, ProfileQuestion
from lifelong.customers.services import save_customer, set_answer
from lifelong.touches.models import Touch

# Monday 9 March 2026, 10:00 in Stockholm.
NOW = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 9)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def stockholm(db):
    Business.objects.update_or_create(pk=1, defaults={"time_zone": "Europe/Stockholm"})


def make(owner, name, *, rank=0, tier="", due_days_ago=None, touched_days_ago=None):
    """A customer whose contact fell due `due_days_ago` days ago (negative: ahead): added
    (or, with `touched_days_ago`, last touched) one interval before that."""
    first, _, last = name.partition(" ")
    c = save_customer(Customer(owner=owner, first_name=first, last_name=last))
    Customer.objects.filter(pk=c.pk).update(value_rank=rank, tier=tier)
    c = Customer.objects.get(pk=c.pk)
    interval = cadence.interval_days(c)
    if touched_days_ago is not None:
        c.last_touched_at = NOW - dt.timedelta(days=touched_days_ago)
        if due_days_ago is not None:
            assert touched_days_ago - interval == due_days_ago, "inconsistent test data"
    elif due_days_ago is not None:
        c.created_at = NOW - dt.timedelta(days=due_days_ago + interval)
    c.save(update_fields=["last_touched_at", "created_at"])
    cadence.refresh_due(c)
    return Customer.objects.get(pk=c.pk)


def keys(items):
    return [i.key for i in items]


def test_lateness_rises_with_every_day_and_stays_between_0_and_1():
    values = [lateness(d) for d in range(-400, 400)]
    assert all(0 < v < 1 for v in values)
    assert values == sorted(values) and len(set(values)) == len(values)


def test_value_comes_first_then_the_longest_overdue(rep):
    small_late = make(rep, "Small Late", rank=3, tier="C", due_days_ago=60)
    big_fresh = make(rep, "Big Fresh", rank=10, tier="A", due_days_ago=0)
    big_late = make(rep, "Big Late", rank=10, tier="A", due_days_ago=9)
    make(rep, "Not Due", rank=10, tier="A", due_days_ago=-3)
    items = services.agenda(rep, TODAY)
    assert keys(items) == [f"contact:{c.pk}" for c in (big_late, big_fresh, small_late)]
    assert [i.score for i in items] == sorted((i.score for i in items), reverse=True)
    assert items[0].score == score(10, TODAY - dt.timedelta(days=9), TODAY)


def test_each_item_says_why_in_plain_words(rep):
    make(rep, "Anna Lund", rank=9, tier="A", due_days_ago=27, touched_days_ago=41)
    (item,) = services.agenda(rep, TODAY)
    assert item.reason == "Contact overdue by 27 days — Anna Lund (tier A) — last touch 41 days ago"
    make(rep, "Bo Ny", due_days_ago=0)
    assert services.agenda(rep, TODAY)[1].reason == (
        "Due for a contact today — Bo Ny — never contacted"
    )


def test_a_birthday_shows_within_its_lead_time_and_names_the_day(rep, customer):
    Customer.objects.filter(pk=customer.pk).update(tier="A", value_rank=9)
    set_answer(customer, ProfileQuestion.objects.get(key="birthday"), "1980-03-13", by=rep)
    items = services.agenda(rep, TODAY, kinds=["occasion"])
    assert [i.title for i in items] == ["Birthday on Friday (turns 46)"]
    assert items[0].reason.startswith("Birthday on Friday — Anna Berg (tier A) — ")
    assert items[0].due_date == dt.date(2026, 3, 13)
    # Seven days ahead is the lead time for a birthday; eight is too early.
    early = services.agenda(rep, dt.date(2026, 3, 6), kinds=["occasion"])
    assert [i.title for i in early] == ["Birthday on 13 March (turns 46)"]
    assert services.agenda(rep, dt.date(2026, 3, 5), kinds=["occasion"]) == []


def test_a_rep_sees_only_their_own_customers_and_owners_choose(rep, outsider, owner):
    mine = make(rep, "Mine Due", due_days_ago=2)
    theirs = make(outsider, "Theirs Due", due_days_ago=5)
    assert keys(services.agenda(rep, TODAY)) == [f"contact:{mine.pk}"]
    assert keys(services.agenda(outsider, TODAY)) == [f"contact:{theirs.pk}"]
    assert keys(services.agenda(None, TODAY)) == [f"contact:{theirs.pk}", f"contact:{mine.pk}"]
    assert services.agenda(owner, TODAY) == []  # owns nobody
    assert len(services.agenda(owner, TODAY, everyone=True)) == 2
    assert keys(services.agenda(rep, TODAY, everyone=True)) == [f"contact:{mine.pk}"]


def test_archived_customers_are_left_out(rep):
    c = make(rep, "Gone Away", due_days_ago=4)
    Customer.objects.filter(pk=c.pk).update(archived_at=NOW)
    assert services.agenda(rep, TODAY) == []


def test_today_ends_at_midnight_in_the_business_time_zone(rep, clock):
    # 23:30 UTC on 9 March is 00:30 on 10 March in Stockholm: not due "today" on the 9th.
    c = make(rep, "Late Night")
    Customer.objects.filter(pk=c.pk).update(
        next_due_at=dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    )
    assert services.agenda(rep, TODAY) == []
    assert keys(services.agenda(rep, TODAY + dt.timedelta(days=1))) == [f"contact:{c.pk}"]
    Customer.objects.filter(pk=c.pk).update(
        next_due_at=dt.datetime(2026, 3, 9, 22, 30, tzinfo=dt.UTC)
    )
    assert keys(services.agenda(rep, TODAY)) == [f"contact:{c.pk}"]


def test_across_a_daylight_saving_change(rep, clock):
    # Sweden moves to summer time on 29 March 2026: 22:30 UTC on the 29th is 00:30 on the 30th.
    c = make(rep, "Summer Time")
    Customer.objects.filter(pk=c.pk).update(
        next_due_at=dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC)
    )
    assert services.agenda(rep, dt.date(2026, 3, 29)) == []
    (item,) = services.agenda(rep, dt.date(2026, 3, 30))
    assert item.due_date == dt.date(2026, 3, 30)


def test_done_logs_a_touch_and_the_item_leaves(rep):
    c = make(rep, "Done Deal", tier="A", due_days_ago=3)
    said = services.act(rep, f"contact:{c.pk}", "done", channel="visit", note="Coffee")
    assert "Logged the visit with Done Deal" in said
    touch = Touch.objects.get(customer=c)
    assert (touch.channel, touch.summary, touch.user) == ("visit", "Coffee", rep)
    assert services.agenda(rep, TODAY) == []
    assert Customer.objects.get(pk=c.pk).next_due_at == NOW + dt.timedelta(days=14)


def test_snooze_hides_a_contact_until_the_day_it_ends(rep):
    c = make(rep, "Snooze Me", due_days_ago=3)
    services.act(rep, f"contact:{c.pk}", "snooze", days=1)
    assert services.agenda(rep, TODAY) == []
    assert keys(services.agenda(rep, TODAY + dt.timedelta(days=1))) == [f"contact:{c.pk}"]


def test_dismiss_skips_this_contact_without_a_touch(rep):
    c = make(rep, "Not Now", due_days_ago=3)
    services.act(rep, f"contact:{c.pk}", "dismiss")
    assert services.agenda(rep, TODAY + dt.timedelta(days=29)) == []
    assert keys(services.agenda(rep, TODAY + dt.timedelta(days=30))) == [f"contact:{c.pk}"]
    assert not Touch.objects.filter(customer=c).exists()


def test_occasion_actions_touch_snooze_and_dismiss_one_occurrence(rep, customer):
    set_answer(customer, ProfileQuestion.objects.get(key="birthday"), "--03-11", by=rep)
    (item,) = services.agenda(rep, TODAY, kinds=["occasion"])
    services.act(rep, item.key, "snooze", days=1)
    assert services.agenda(rep, TODAY, kinds=["occasion"]) == []
    assert keys(services.agenda(rep, TODAY + dt.timedelta(days=1), kinds=["occasion"])) == [
        item.key
    ]
    services.act(rep, item.key, "done", channel="gift")
    assert Touch.objects.get(customer=customer).channel == "gift"
    assert services.agenda(rep, TODAY + dt.timedelta(days=1), kinds=["occasion"]) == []
    # Next year's birthday is a new occurrence.
    assert services.agenda(rep, dt.date(2027, 3, 10), kinds=["occasion"])[0].key.endswith(
        "2027-03-11"
    )


def test_actions_refuse_what_the_user_may_not_see_or_cannot_parse(rep, outsider):
    c = make(rep, "Private", due_days_ago=1)
    with pytest.raises(Http404):
        services.act(outsider, f"contact:{c.pk}", "done")
    bad = [("nope:1", "done"), ("contact:", "done"), ("contact:x", "done"),
           (f"contact:{c.pk}", "explode"), ("occasion:1:someday", "done")]  # fmt: skip
    for key, action in bad:
        with pytest.raises(ValueError):
            services.act(rep, key, action)
    with pytest.raises(ValueError):
        services.act(rep, f"contact:{c.pk}", "done", channel="telepathy")
    assert not Touch.objects.exists()


def test_the_week_puts_each_item_on_its_day(rep, customer):
    overdue = make(rep, "Over Due", due_days_ago=5)
    thursday = make(rep, "Thurs Day", due_days_ago=-3)
    set_answer(customer, ProfileQuestion.objects.get(key="birthday"), "--03-14", by=rep)
    plan = services.week(rep, TODAY)
    assert [d for d, _, _ in plan] == [TODAY + dt.timedelta(days=n) for n in range(7)]
    by_day = {d: keys(items) for d, items, _ in plan}
    assert f"contact:{overdue.pk}" in by_day[TODAY]
    assert by_day[dt.date(2026, 3, 12)] == [f"contact:{thursday.pk}"]
    assert by_day[dt.date(2026, 3, 14)][0].startswith("occasion:")
    # Customer Anna Berg was added today: her first contact falls due in 30 days, not this week.
    assert all(f"contact:{customer.pk}" not in v for v in by_day.values())


def test_the_cli_prints_json_items(rep):
    make(rep, "Json Person", rank=7, tier="B", due_days_ago=2)
    out = StringIO()
    call_command("agenda", "--json", "--user", rep.username, "--date", "2026-03-09", stdout=out)
    (item,) = json.loads(out.getvalue())
    assert {"kind", "customer_id", "customer_name", "due_date", "reason", "score"} <= item.keys()
    assert (item["kind"], item["customer_name"], item["due_date"]) == (
        "contact", "Json Person", "2026-03-07",
    )  # fmt: skip
    out = StringIO()
    call_command("agenda", stdout=out)
    assert "Json Person" in out.getvalue()


def test_the_cli_refuses_an_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("agenda", "--user", "nobody")


# ---------------------------------------------------------------- pages and API


def test_today_page_lists_items_and_done_removes_one(rep, rep_client):
    c = make(rep, "Page Person", tier="A", rank=10, due_days_ago=3)
    page = rep_client.get(reverse("agenda:today"))
    assert page.status_code == 200
    assert b"Page Person" in page.content and b"Contact overdue by 3 days" in page.content
    r = rep_client.post(
        reverse("agenda:act"),
        {"key": f"contact:{c.pk}", "action": "done", "channel": "call"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and b"Logged the call" in r.content
    assert b"Page Person" not in rep_client.get(reverse("agenda:today")).content


def test_snooze_buttons_carry_their_days_without_javascript(rep, rep_client):
    c = make(rep, "No Script", due_days_ago=3)
    r = rep_client.post(reverse("agenda:act"), {"key": f"contact:{c.pk}", "action": "snooze:7"})
    assert r.status_code == 302
    assert Customer.objects.get(pk=c.pk).next_due_at == Business.get().start_of(
        TODAY + dt.timedelta(days=7)
    )


def test_outsider_gets_404_and_nothing_changes(rep, outsider_client):
    c = make(rep, "Guarded", due_days_ago=3)
    for action in ("done", "snooze:1", "dismiss"):
        r = outsider_client.post(
            reverse("agenda:act"), {"key": f"contact:{c.pk}", "action": action}
        )
        assert r.status_code == 404
    assert Customer.objects.get(pk=c.pk).next_due_at == NOW - dt.timedelta(days=3)
    assert not Touch.objects.exists()
    assert b"Guarded" not in outsider_client.get(reverse("agenda:today")).content
    assert b"Guarded" not in outsider_client.get(reverse("agenda:week")).content


def test_owner_sees_everyone_only_when_asked(rep, owner_client):
    make(rep, "Rep Customer", due_days_ago=3)
    assert b"Rep Customer" not in owner_client.get(reverse("agenda:today")).content
    assert b"Rep Customer" in owner_client.get(reverse("agenda:today") + "?who=all").content


def test_a_rep_asking_for_everyone_still_sees_only_their_own(rep, outsider, rep_client):
    make(outsider, "Not Yours", due_days_ago=3)
    assert b"Not Yours" not in rep_client.get(reverse("agenda:today") + "?who=all").content


def test_empty_state(rep_client):
    page = rep_client.get(reverse("agenda:today"))
    assert b"Nothing due today" in page.content


def test_home_and_login_land_on_today(rep_client):
    assert rep_client.get("/").url == reverse("agenda:today")


def test_api_lists_acts_and_guards(rep, outsider, client):
    c = make(rep, "Api Person", tier="B", rank=6, due_days_ago=2)
    r = client.get("/api/v1/agenda", headers=bearer(rep))
    assert r.status_code == 200
    (item,) = r.json()
    assert item["key"] == f"contact:{c.pk}" and item["tier"] == "B"
    assert client.get("/api/v1/agenda?everyone=true", headers=bearer(rep)).status_code == 403
    body = {"key": f"contact:{c.pk}", "action": "done", "channel": "email"}
    other = client.post("/api/v1/agenda/actions", body, content_type="application/json",
                        headers=bearer(outsider))  # fmt: skip
    assert other.status_code == 404
    r = client.post("/api/v1/agenda/actions", body, content_type="application/json",
                    headers=bearer(rep))  # fmt: skip
    assert r.status_code == 200 and r.json()["detail"].startswith("Logged the email with")
    assert Touch.objects.get(customer=c).channel == "email"
    bad = client.post("/api/v1/agenda/actions", {"key": "x", "action": "done"},
                      content_type="application/json", headers=bearer(rep))  # fmt: skip
    assert bad.status_code == 400 and bad.json()["detail"]
    week = client.get("/api/v1/agenda/week", headers=bearer(rep)).json()
    assert len(week) == 7 and week[0]["items"] == []


def test_the_tier_policy_reaches_the_agenda_after_a_value_refresh(rep, settings):
    """A tier-A customer is due after 14 days, everybody else after 30."""
    a = make(rep, "Top Tier", touched_days_ago=20)
    c = make(rep, "Low Tier", touched_days_ago=20)
    Customer.objects.filter(pk=a.pk).update(tier="A", value_rank=10)
    Customer.objects.filter(pk=c.pk).update(tier="C", value_rank=2)
    cadence.recompute_due()
    assert keys(services.agenda(rep, TODAY)) == [f"contact:{a.pk}"]


def test_sources_are_found_in_the_apps_agenda_sources_modules():
    assert {"contact", "occasion"} <= set(services.kinds())
