import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from lifelong.promises import services
from lifelong.promises.models import Promise, Status
from lifelong.promises.tests.conftest import NOW, STOCKHOLM, TODAY, made_earlier, make
from lifelong.touches.models import Touch

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """June 2025 in Stockholm time."""
    return dt.datetime(2025, 6, day, hour, minute, second, tzinfo=STOCKHOLM)


# ---------------------------------------------------------------- making


@time_machine.travel(NOW, tick=False)
def test_it_makes_an_open_promise_with_its_deadline(rep, customer):
    p = make(customer, rep, due_on=TODAY)
    assert p.status == Status.OPEN
    assert p.source == "customer_page"
    assert p.created_by == rep
    # The whole business day counts: until midnight in Stockholm.
    assert p.deadline == at(11, 0) - dt.timedelta(microseconds=1)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"what": "  "}, "what"),
        ({"what": "x" * 501}, "what"),
        ({"due_on": TODAY - dt.timedelta(days=1)}, "due_on"),
        ({"window": (at(10, 15), at(10, 14))}, "window_end"),
        ({"window": (at(10, 14), at(10, 14))}, "window_end"),
        ({"window": (at(10, 9), at(10, 11))}, "window_end"),  # ended an hour ago
    ],
)
def test_it_refuses_what_is_not_a_promise(rep, customer, fields, field):
    with pytest.raises(ValidationError) as e:
        make(customer, rep, **fields)
    assert field in e.value.message_dict
    assert not Promise.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_it_needs_one_date_not_both_nor_none(rep, customer):
    with pytest.raises(ValidationError, match="due date or a window"):
        services.make_promise(customer, what="x", owner=rep, by=rep)
    with pytest.raises(ValidationError, match="not both"):
        services.make_promise(
            customer,
            what="x",
            owner=rep,
            by=rep,
            due_on=TODAY,
            window_start=at(10, 14),
            window_end=at(10, 16),
        )
    with pytest.raises(ValidationError, match="start and an end"):
        services.make_promise(customer, what="x", owner=rep, by=rep, window_end=at(10, 16))


@time_machine.travel(NOW, tick=False)
def test_a_window_that_has_begun_but_not_ended_is_fine(rep, customer):
    p = make(customer, rep, window=(at(10, 11), at(10, 13)))
    assert p.deadline == at(10, 13)


@time_machine.travel(NOW, tick=False)
def test_the_owner_must_see_the_customer(rep, outsider, manager, customer):
    with pytest.raises(ValidationError) as e:
        make(customer, outsider)
    assert "owner" in e.value.message_dict
    assert make(customer, manager).owner == manager


@time_machine.travel(NOW, tick=False)
def test_a_touch_or_purchase_of_another_customer_is_refused(rep, owner, customer):
    from lifelong.customers.models import Customer
    from lifelong.touches.services import log_touch

    other = Customer.objects.create(owner=rep, first_name="Bo")
    touch = log_touch(other, user=rep, channel="call", summary="Hi")
    with pytest.raises(ValidationError) as e:
        make(customer, rep, touch=touch)
    assert "touch" in e.value.message_dict
    mine = log_touch(customer, user=rep, channel="call", summary="Asked for a quote")
    assert make(customer, rep, touch=mine).source == "touch"


# ---------------------------------------------------------------- keeping


def test_kept_on_the_due_day_is_on_time_until_midnight_business_time(rep, customer):
    p = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    with time_machine.travel(at(10, 23, 59, 59), tick=False):
        services.keep(p, by=rep)
    assert p.status == Status.KEPT


def test_kept_just_after_midnight_is_late(rep, customer):
    p = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    with time_machine.travel(at(11, 0, 0, 1), tick=False):
        services.keep(p, by=rep)
    assert p.status == Status.KEPT_LATE
    assert Promise.objects.get(pk=p.pk).status == Status.KEPT_LATE


@pytest.mark.parametrize(
    ("kept", "status"),
    [
        (at(10, 13), Status.KEPT),  # early: before the window opens
        (at(10, 16), Status.KEPT),  # exactly at the window's end
        (at(10, 16, 0, 1), Status.KEPT_LATE),  # a second later
    ],
)
def test_kept_or_late_at_the_window_edge(rep, customer, kept, status):
    p = made_earlier(customer, rep, window=(at(10, 14), at(10, 16)), at=NOW)
    with time_machine.travel(at(12, 9), tick=False):
        services.keep(p, by=rep, at=kept)
    assert p.status == status
    assert p.kept_at == kept


@time_machine.travel(NOW, tick=False)
def test_keeping_logs_a_touch_only_when_it_reached_the_customer(rep, customer, promise):
    services.keep(promise, by=rep)
    assert not Touch.objects.exists()
    other = make(customer, rep, what="Send the brochure")
    services.keep(other, by=rep, channel="email", note="Sent it")
    (touch,) = Touch.objects.all()
    assert (touch.channel, touch.summary, touch.user) == ("email", "Sent it", rep)


@time_machine.travel(NOW, tick=False)
def test_only_an_open_promise_changes(rep, promise):
    services.keep(promise, by=rep)
    with pytest.raises(ValidationError, match="Only an open promise"):
        services.keep(promise, by=rep)
    with pytest.raises(ValidationError, match="Only an open promise"):
        services.break_promise(promise, by=rep, reason="x")
    with pytest.raises(ValidationError, match="Only an open promise"):
        services.renegotiate(promise, by=rep, due_on=TODAY)


@time_machine.travel(NOW, tick=False)
def test_keeping_in_the_future_is_refused(rep, promise):
    with pytest.raises(ValidationError):
        services.keep(promise, by=rep, at=NOW + dt.timedelta(hours=1))


# ---------------------------------------------------------------- breaking


@time_machine.travel(NOW, tick=False)
def test_breaking_needs_a_reason(rep, promise):
    with pytest.raises(ValidationError) as e:
        services.break_promise(promise, by=rep, reason="  ")
    assert "reason" in e.value.message_dict
    services.break_promise(promise, by=rep, reason="The supplier was late.")
    fresh = Promise.objects.get(pk=promise.pk)
    assert (fresh.status, fresh.broken_at, fresh.broken_reason) == (
        Status.BROKEN,
        NOW,
        "The supplier was late.",
    )


# ---------------------------------------------------------------- renegotiating


@time_machine.travel(NOW, tick=False)
def test_renegotiation_makes_a_chain(rep, customer, promise):
    second = services.renegotiate(promise, by=rep, due_on=TODAY + dt.timedelta(days=5))
    third = services.renegotiate(
        second, by=rep, window_start=at(20, 9), window_end=at(20, 11), what="Bring the quote"
    )
    first = Promise.objects.get(pk=promise.pk)
    second.refresh_from_db()
    assert (first.status, first.renegotiated_to) == (Status.RENEGOTIATED, second)
    assert (second.status, second.renegotiated_to) == (Status.RENEGOTIATED, third)
    assert (third.status, third.what, third.owner) == (Status.OPEN, "Bring the quote", rep)
    assert third.renegotiated_to is None
    assert [p.pk for p in services.chain(second)] == [first.pk, second.pk, third.pk]
    assert [p.pk for p in services.chain(third)] == [first.pk, second.pk, third.pk]


@time_machine.travel(NOW, tick=False)
def test_a_new_date_in_the_past_is_refused_and_nothing_changes(rep, promise):
    with pytest.raises(ValidationError):
        services.renegotiate(promise, by=rep, due_on=TODAY - dt.timedelta(days=1))
    assert Promise.objects.get(pk=promise.pk).status == Status.OPEN
    assert Promise.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_chain_survives_a_loop_in_bad_data(rep, customer, promise):
    other = make(customer, rep)
    Promise.objects.filter(pk=promise.pk).update(renegotiated_to=other)
    Promise.objects.filter(pk=other.pk).update(renegotiated_to=promise)
    assert {p.pk for p in services.chain(promise)} == {promise.pk, other.pk}


# ---------------------------------------------------------------- overdue


def test_overdue_follows_the_business_day_not_utc(rep, customer):
    p = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    # 23:30 in Stockholm is 21:30 UTC: the due day has not ended.
    late_evening = at(10, 23, 30)
    assert not services.is_overdue(p, late_evening)
    with time_machine.travel(late_evening, tick=False):
        assert not Promise.objects.filter(services.overdue_q()).exists()
    # 00:30 in Stockholm is still 10 June in UTC, but the business's day has ended.
    after_midnight = at(11, 0, 30)
    assert after_midnight.astimezone(dt.UTC).date() == TODAY
    assert services.is_overdue(p, after_midnight)
    with time_machine.travel(after_midnight, tick=False):
        assert list(Promise.objects.filter(services.overdue_q())) == [p]


def test_a_window_is_overdue_once_it_has_passed(rep, customer):
    p = made_earlier(customer, rep, window=(at(10, 14), at(10, 16)), at=NOW)
    assert not services.is_overdue(p, at(10, 16))
    assert services.is_overdue(p, at(10, 16, 0, 1))
    with time_machine.travel(at(10, 16, 1), tick=False):
        assert list(Promise.objects.filter(services.overdue_q())) == [p]


@time_machine.travel(NOW, tick=False)
def test_a_decided_promise_is_never_overdue(rep, promise):
    services.break_promise(promise, by=rep, reason="x")
    assert not services.is_overdue(promise, NOW + dt.timedelta(days=30))


# ---------------------------------------------------------------- due soon


def test_due_soon_holds_what_falls_due_within_the_reminder_days_and_the_overdue(
    rep, customer, settings
):
    overdue = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    today = made_earlier(customer, rep, due_on=TODAY + dt.timedelta(days=3), at=NOW)
    in_two = made_earlier(customer, rep, due_on=TODAY + dt.timedelta(days=5), at=NOW)
    later = made_earlier(customer, rep, due_on=TODAY + dt.timedelta(days=6), at=NOW)
    window = made_earlier(customer, rep, window=(at(15, 22), at(15, 23, 59)), at=NOW)
    with time_machine.travel(at(13, 9), tick=False):
        found = list(services.due_soon(Promise.objects.all()))
        assert found == [overdue, today, window, in_two]  # by deadline
        assert later not in found
        assert list(services.due_soon(Promise.objects.all(), days=0)) == [overdue, today]
        settings.LIFELONG_PROMISES = {"remind_days": 3}
        assert later in services.due_soon(Promise.objects.all())


# ---------------------------------------------------------------- kept-rate


def decided(customer, owner, status: str, when: dt.datetime) -> Promise:
    p = made_earlier(customer, owner, due_on=when.date(), at=when - dt.timedelta(days=1))
    with time_machine.travel(when, tick=False):
        if status == "broken":
            services.break_promise(p, by=owner, reason="x")
        else:
            services.keep(p, by=owner, at=when if status == "kept" else None)
    if status == "kept_late":
        Promise.objects.filter(pk=p.pk).update(
            status="kept_late", kept_at=when + dt.timedelta(days=1)
        )
    return p


def test_the_kept_rate_counts_kept_and_late_over_everything_decided(rep, manager, customer):
    decided(customer, rep, "kept", at(2, 10))
    decided(customer, rep, "kept", at(3, 10))
    decided(customer, rep, "kept_late", at(4, 10))
    decided(customer, rep, "broken", at(5, 10))
    decided(customer, manager, "broken", at(5, 11))
    opened = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    renegotiated = made_earlier(customer, rep, due_on=TODAY, at=NOW)
    with time_machine.travel(NOW, tick=False):
        services.renegotiate(renegotiated, by=rep, due_on=TODAY + dt.timedelta(days=3))
    assert opened.status == "open"
    rate = services.kept_rate(Promise.objects.filter(owner=rep))
    assert (rate.kept, rate.kept_late, rate.broken, rate.decided) == (2, 1, 1, 4)
    assert rate.rate == 0.75
    assert services.kept_rate(customer.promises.all()).rate == 0.6
    assert services.kept_rate(Promise.objects.none()).rate is None


def test_the_kept_rate_by_month_and_owner(rep, manager, customer):
    decided(customer, rep, "kept", dt.datetime(2025, 3, 31, 23, 30, tzinfo=STOCKHOLM))
    decided(customer, rep, "broken", dt.datetime(2025, 4, 1, 0, 30, tzinfo=STOCKHOLM))
    decided(customer, rep, "kept", at(5, 10))
    decided(customer, manager, "kept", at(6, 10))
    decided(customer, rep, "kept", dt.datetime(2024, 5, 20, 10, tzinfo=STOCKHOLM))  # too old
    months = services.kept_rate_by_month(Promise.objects.all(), now=NOW)
    assert (months[0].start, months[-1].start, len(months)) == (
        dt.date(2024, 7, 1),
        dt.date(2025, 6, 1),
        12,
    )
    by = {m.start: m.rate for m in months}
    # 23:30 on 31 March in Stockholm is March, though 21:30 UTC; 00:30 on 1 April is April.
    assert (by[dt.date(2025, 3, 1)].kept, by[dt.date(2025, 3, 1)].broken) == (1, 0)
    assert (by[dt.date(2025, 4, 1)].kept, by[dt.date(2025, 4, 1)].broken) == (0, 1)
    assert by[dt.date(2025, 6, 1)].kept == 2
    owners = services.kept_rate_by_owner(Promise.objects.all(), now=NOW)
    assert [o.owner_name for o in owners] == ["Ruben Rep", "Maja Manager"]
    ruben = owners[0]
    assert (ruben.total.decided, ruben.total.rate) == (4, 0.75)
    assert [m.rate.decided for m in ruben.months if m.rate.decided] == [1, 1, 1]


def test_kept_promises_since_is_what_referrals_read(rep, customer):
    p = decided(customer, rep, "kept", at(5, 10))
    decided(customer, rep, "broken", at(5, 11))
    assert list(services.kept_promises_since(at(5, 0))) == [p]
    assert list(services.broken_promises_since(at(6, 0))) == []
