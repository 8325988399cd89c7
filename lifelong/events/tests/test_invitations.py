from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from lifelong.customers.models import Customer
from lifelong.events import services
from lifelong.events.models import Invitation
from lifelong.outreach.models import Message, MessageStatus, ProgramKind, Purpose
from lifelong.outreach.sending import Worker
from lifelong.outreach.tests.conftest import address_of, make_customers


def test_it_sends_an_icalendar_request_with_the_rsvp_link(
    event, customer, owner, smtp_server, business
):
    result = services.invite(event, Customer.objects.filter(pk=customer.pk), by=owner)
    assert (result.invited, result.queued) == (1, 1)
    program = event.program
    assert (program.kind, program.purpose) == (ProgramKind.ONE_OFF, Purpose.RELATIONSHIP)

    Worker(batch=10).run(once=True)

    [received] = smtp_server.by_recipient("anna@berg.example")
    parts = {p.get_content_type(): p for p in received.email.walk()}
    calendar_part = parts["text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    cal = Calendar.from_ical(calendar_part.get_content())
    assert str(cal["METHOD"]) == "REQUEST"
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["UID"]) == services.uid(event)
    assert str(vevent["SUMMARY"]) == "Spring open house"
    assert vevent.decoded("DTSTART") == event.starts_at
    assert str(vevent["ATTENDEE"]) == "mailto:anna@berg.example"
    assert str(vevent["ORGANIZER"]).startswith("mailto:")
    invitation = Invitation.objects.get(event=event, customer=customer)
    assert invitation.message.status == MessageStatus.SENT
    url = services.rsvp_url(invitation)
    assert url in parts["text/plain"].get_content()
    assert "Spring open house" in parts["text/plain"].get_content()


def test_inviting_again_reaches_only_the_new_ones(event, owner, business):
    first = make_customers(owner, 2)
    services.invite(event, Customer.objects.filter(pk=first[0].pk), by=owner)
    result = services.invite(event, Customer.objects.filter(pk__in=[c.pk for c in first]))
    assert (result.invited, result.already, result.queued) == (1, 1, 1)
    assert Message.objects.filter(program=event.program).count() == 2
    assert {m.to_address for m in Message.objects.all()} == {address_of(c) for c in first}


def test_the_suggestion_is_tier_a_not_invited_for_six_months(event, owner, business):
    a1, a2, b = make_customers(owner, 3)
    Customer.objects.filter(pk__in=[a1.pk, a2.pk]).update(tier="A")
    Customer.objects.filter(pk=b.pk).update(tier="B")
    assert set(services.suggested_customers()) == {a1, a2}
    services.invite(event, Customer.objects.filter(pk=a1.pk), by=owner)
    assert set(services.suggested_customers()) == {a2}
    Invitation.objects.update(invited_at=timezone.now() - dt.timedelta(days=190))
    assert set(services.suggested_customers()) == {a1, a2}


@pytest.mark.parametrize("capacity", [None, 5])
def test_counts(event, owner, business, capacity):
    event.capacity = capacity
    event.save()
    people = make_customers(owner, 3)
    services.invite(event, Customer.objects.filter(pk__in=[c.pk for c in people]), by=owner)
    yes, no, _ = Invitation.objects.order_by("customer_id")
    services.answer(yes, "yes")
    services.answer(no, "no")
    [row] = services.with_counts(type(event).objects.filter(pk=event.pk))
    assert (row.n_yes, row.n_no, row.n_maybe, row.n_none, row.n_waitlist) == (1, 1, 0, 1, 0)
