import datetime as dt

import pytest
import time_machine
from django.http import Http404

from lifelong.agenda import services as agenda
from lifelong.customers.models import Customer
from lifelong.promises import services
from lifelong.promises.models import Promise, Status
from lifelong.promises.tests.conftest import NOW, STOCKHOLM, TODAY, made_earlier, make
from lifelong.touches.models import Touch

pytestmark = pytest.mark.django_db


def items(user, today=TODAY, kinds=("promise",)):
    return agenda.agenda(user, today, kinds=list(kinds))


@time_machine.travel(NOW, tick=False)
def test_a_promise_due_tomorrow_is_on_the_owners_agenda(rep, customer):
    Customer.objects.filter(pk=customer.pk).update(tier="A", value_rank=9)
    Touch.objects.create(customer=customer, user=rep, channel="call", summary="x", occurred_at=NOW)
    Customer.objects.filter(pk=customer.pk).update(last_touched_at=NOW - dt.timedelta(days=3))
    p = make(customer, rep, due_on=TODAY + dt.timedelta(days=1))
    (item,) = items(rep)
    assert item.key == f"promise:{p.pk}"
    assert item.reason == (
        "Promise due tomorrow — Call back with the quote — Anna Berg (tier A) — "
        "last touch 3 days ago"
    )
    assert item.extra["promise_id"] == p.pk


@time_machine.travel(NOW, tick=False)
def test_only_within_the_reminder_days(rep, customer, settings):
    make(customer, rep, due_on=TODAY + dt.timedelta(days=3))
    assert items(rep) == []
    settings.LIFELONG_PROMISES = {"remind_days": 3}
    assert len(items(rep)) == 1


def test_an_overdue_promise_stays_until_it_is_decided(rep, customer):
    p = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    later = TODAY + dt.timedelta(days=3)
    with time_machine.travel(dt.datetime(2025, 6, 13, 9, tzinfo=STOCKHOLM), tick=False):
        (item,) = items(rep, later)
        assert item.title == "Promise overdue by 3 days: Call back with the quote"
        assert item.extra["overdue"] is True
        services.keep(p, by=rep)
        assert items(rep, later) == []


def test_a_passed_window_today_is_overdue_since_its_end(rep, customer):
    made_earlier(
        customer,
        rep,
        window=(
            dt.datetime(2025, 6, 10, 13, tzinfo=STOCKHOLM),
            dt.datetime(2025, 6, 10, 15, tzinfo=STOCKHOLM),
        ),
        at=NOW,
    )
    with time_machine.travel(NOW, tick=False):
        assert items(rep)[0].extra["when"] == "Promise due today 13:00\u201315:00"
    with time_machine.travel(dt.datetime(2025, 6, 10, 16, tzinfo=STOCKHOLM), tick=False):
        assert items(rep)[0].extra["when"] == "Promise overdue since 15:00"
        assert items(rep)[0].extra["overdue"] is True


@time_machine.travel(NOW, tick=False)
def test_done_keeps_it_and_logs_the_touch(rep, customer):
    p = make(customer, rep)
    said = agenda.act(rep, f"promise:{p.pk}", "done", channel="call", note="Called with it")
    assert said.startswith("Kept: Call back with the quote")
    p.refresh_from_db()
    assert p.status == Status.KEPT
    (touch,) = Touch.objects.all()
    assert touch.summary == "Called with it"
    assert items(rep) == []


@time_machine.travel(NOW, tick=False)
def test_snooze_hides_it_until_the_day(rep, customer):
    p = make(customer, rep)
    agenda.act(rep, f"promise:{p.pk}", "snooze", days=2)
    assert Promise.objects.get(pk=p.pk).snoozed_until == TODAY + dt.timedelta(days=2)
    assert items(rep) == []
    assert items(rep, TODAY + dt.timedelta(days=1)) == []
    assert len(items(rep, TODAY + dt.timedelta(days=2))) == 1


def test_dismissing_the_reminder_brings_it_back_when_overdue(rep, customer):
    p = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    with time_machine.travel(NOW, tick=False):
        said = agenda.act(rep, f"promise:{p.pk}", "dismiss")
        assert "comes back if it becomes overdue" in said
        assert items(rep) == []
    tomorrow = TODAY + dt.timedelta(days=1)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        (item,) = items(rep, tomorrow)
        assert item.extra["when"] == "Promise overdue by 1 day"
        agenda.act(rep, item.key, "dismiss")
        assert items(rep, tomorrow) == []
    assert Promise.objects.get(pk=p.pk).status == Status.OPEN


@time_machine.travel(NOW, tick=False)
def test_the_week_plan_puts_a_promise_on_its_day(rep, customer):
    p = make(customer, rep, due_on=TODAY + dt.timedelta(days=4))
    plan = agenda.week(rep, TODAY)
    days = [day for day, found, _ in plan if any(i.key == f"promise:{p.pk}" for i in found)]
    assert days == [TODAY + dt.timedelta(days=4)]


@time_machine.travel(NOW, tick=False)
def test_a_broken_promise_puts_an_apology_on_the_agenda(rep, customer):
    p = make(customer, rep)
    services.break_promise(p, by=rep, reason="The supplier was late.")
    assert items(rep) == []
    (item,) = items(rep, kinds=["apology"])
    assert item.key == f"apology:{p.pk}"
    assert item.reason.startswith(
        "Broken promise: Call back with the quote — make it right — Anna Berg"
    )
    assert item.extra["reason"] == "The supplier was late."
    # Still there after 13 days, gone after 14.
    assert len(items(rep, TODAY + dt.timedelta(days=13), kinds=["apology"])) == 1
    assert items(rep, TODAY + dt.timedelta(days=15), kinds=["apology"]) == []


@time_machine.travel(NOW, tick=False)
def test_apology_done_logs_the_touch_and_closes_it(rep, customer):
    p = make(customer, rep)
    services.break_promise(p, by=rep, reason="x")
    agenda.act(rep, f"apology:{p.pk}", "done", channel="visit")
    (touch,) = Touch.objects.all()
    assert (touch.channel, touch.summary) == (
        "visit",
        "Made good on a broken promise: Call back with the quote",
    )
    assert items(rep, kinds=["apology"]) == []


@time_machine.travel(NOW, tick=False)
def test_apology_snooze_and_dismiss(rep, customer):
    a, b = make(customer, rep, what="A"), make(customer, rep, what="B")
    services.break_promise(a, by=rep, reason="x")
    services.break_promise(b, by=rep, reason="x")
    agenda.act(rep, f"apology:{a.pk}", "snooze", days=3)
    agenda.act(rep, f"apology:{b.pk}", "dismiss")
    assert items(rep, kinds=["apology"]) == []
    (item,) = items(rep, TODAY + dt.timedelta(days=3), kinds=["apology"])
    assert item.key == f"apology:{a.pk}"


@time_machine.travel(NOW, tick=False)
def test_an_outsider_cannot_act_on_the_items(rep, outsider, customer):
    p = make(customer, rep)
    assert items(outsider) == []
    for key in (f"promise:{p.pk}", f"apology:{p.pk}"):
        with pytest.raises(Http404):
            agenda.act(outsider, key, "done")
    with pytest.raises(ValueError):
        agenda.act(rep, "promise:x", "done")
    assert Promise.objects.get(pk=p.pk).status == Status.OPEN


@time_machine.travel(NOW, tick=False)
def test_the_today_page_shows_promise_items(rep_client, rep, customer):
    from django.urls import reverse

    p = make(customer, rep, due_on=TODAY)
    broken = make(customer, rep, what="Send the brochure")
    services.break_promise(broken, by=rep, reason="x")
    html = rep_client.get(reverse("agenda:today")).content.decode()
    assert f'data-key="promise:{p.pk}"' in html
    assert f'data-key="apology:{broken.pk}"' in html
    assert "Broken promise: Send the brochure" in html
