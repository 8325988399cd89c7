"""The worker in this process against a real SMTP server on loopback."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from lifelong.customers.models import Customer
from lifelong.outreach import sending
from lifelong.outreach.models import Message, MessageStatus, Purpose, Suppression
from lifelong.outreach.outbox import enqueue, make_message_id
from lifelong.outreach.tests.conftest import address_of, make_customers, make_program, outgoing
from lifelong.touches.models import Channel, Touch

pytestmark = pytest.mark.django_db


def run_worker(**kwargs) -> sending.Tally:
    return sending.Worker(**kwargs).run(once=True)


def test_it_sends_with_the_headers_a_receiver_needs(smtp_server, business, rep):
    rep.email = "ruben@berg.example"
    rep.save()
    (customer,) = make_customers(rep, 1)
    program = make_program(Purpose.MARKETING)
    assert enqueue(program, [outgoing(customer)], "2025-Q1") == 1

    tally = run_worker()

    assert tally.sent == 1
    (received,) = smtp_server.received
    email = received.email
    assert email["From"].addresses[0].display_name == "Ruben Rep"
    assert email["From"].addresses[0].addr_spec == "hello@berg.example"
    assert email["Reply-To"].addresses[0].addr_spec == "ruben@berg.example"
    assert email["To"] == address_of(customer)
    assert email["Subject"] == "News for Customer0"
    assert email["Message-ID"] == make_message_id(
        program.pk, customer.pk, "2025-Q1", "berg.example"
    )
    assert email["Date"].datetime is not None
    assert email["List-Unsubscribe"].startswith("<https://crm.example.test/outreach/unsubscribe/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert text.startswith("Dear Customer0,")
    for part in (text, html):
        assert "Storgatan 1" in part and "111 22 Stockholm" in part
        assert "https://crm.example.test/outreach/preferences/" in part
    assert html.index("Storgatan 1") < html.index("</body>")
    assert received.mail_from == "hello@berg.example"


def test_a_relationship_greeting_has_no_unsubscribe_headers_but_a_footer(
    smtp_server, business, rep
):
    (customer,) = make_customers(rep, 1, consent=False)
    enqueue(make_program(Purpose.RELATIONSHIP), [outgoing(customer, body_html="")], "x")
    run_worker()
    (received,) = smtp_server.received
    assert "List-Unsubscribe" not in received.email
    assert "List-Unsubscribe-Post" not in received.email
    assert not received.email.is_multipart()
    assert "Storgatan 1" in received.email.get_content()


def test_each_sent_message_is_an_email_touch_and_resets_the_cadence(smtp_server, business, rep):
    customers = make_customers(rep, 3)
    enqueue(make_program(), [outgoing(c) for c in customers], "2025-Q1")
    run_worker(batch=2)
    for message in Message.objects.select_related("touch"):
        assert message.status == MessageStatus.SENT
        assert message.touch_logged
        assert message.touch.channel == Channel.EMAIL
        assert message.touch.customer_id == message.customer_id
        assert message.touch.user_id == rep.pk
        assert message.touch.occurred_at == message.sent_at
        customer = Customer.objects.get(pk=message.customer_id)
        assert customer.last_touched_at == message.sent_at
        assert customer.next_due_at == message.sent_at + dt.timedelta(days=30)
    assert Touch.objects.count() == 3


def test_the_same_occurrence_enqueued_twice_sends_once(smtp_server, business, rep):
    customers = make_customers(rep, 5)
    program = make_program(Purpose.RELATIONSHIP)
    key = "birthday:self:2025-06-01"
    assert enqueue(program, [outgoing(c) for c in customers], key) == 5
    run_worker()
    assert enqueue(program, [outgoing(c) for c in customers], key) == 0
    run_worker()
    assert len(smtp_server.received) == 5
    assert Message.objects.count() == 5


def test_a_451_is_retried_later_and_sent_once(smtp_server, business, rep):
    first, second = make_customers(rep, 2)
    smtp_server.replies[address_of(first)] = ["451 4.3.0 Try again later"]
    enqueue(make_program(), [outgoing(first), outgoing(second)], "x")

    tally = run_worker()
    assert (tally.sent, tally.retried) == (1, 1)
    message = Message.objects.get(customer=first)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1
    assert "451" in message.last_error
    assert message.send_after > timezone.now() + dt.timedelta(seconds=50)
    assert run_worker().sent == 0  # not due yet

    with time_machine.travel(message.send_after + dt.timedelta(seconds=1)):
        assert run_worker().sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert len(smtp_server.by_recipient(address_of(first))) == 1
    assert len(smtp_server.by_recipient(address_of(second))) == 1


def test_a_550_fails_with_the_reason_and_is_never_retried(smtp_server, business, rep):
    (customer,) = make_customers(rep, 1)
    smtp_server.replies[address_of(customer)] = ["550 5.1.1 No such user"] * 3
    enqueue(make_program(), [outgoing(customer)], "x")
    assert run_worker().failed == 1
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "550 5.1.1 No such user" in message.last_error
    assert message.sent_at is None and not message.touch_logged
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert run_worker().sent == 0
    assert smtp_server.received == []
    assert Touch.objects.count() == 0


def test_no_server_retries_with_growing_backoff_then_gives_up(business, rep, monkeypatch):
    from lifelong.outreach.tests.conftest import free_port

    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    (customer,) = make_customers(rep, 1)
    enqueue(make_program(), [outgoing(customer)], "x")
    waits = []
    for _ in range(3):
        run_worker(max_attempts=3)
        message = Message.objects.get()
        if message.status == MessageStatus.FAILED:
            break
        waits.append(message.send_after - timezone.now())
        Message.objects.update(send_after=timezone.now())
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert message.last_error.startswith("Gave up after 3 attempts: SMTP connection")
    assert len(waits) == 2 and waits[1] > waits[0] * 1.5


def test_no_or_a_bad_address_fails_at_once(smtp_server, business, rep):
    a, b = make_customers(rep, 2)
    enqueue(make_program(), [outgoing(a, to_address=""), outgoing(b, to_address="not@")], "x")
    assert run_worker().failed == 2
    errors = sorted(Message.objects.values_list("last_error", flat=True))
    assert "not a valid email address" in errors[0] and "no email address" in errors[1]
    assert smtp_server.received == []


def test_a_non_ascii_address_fails_with_a_reason_and_the_rest_go(smtp_server, business, rep):
    a, b = make_customers(rep, 2)
    enqueue(make_program(), [outgoing(a, to_address="anna@bergö.se"), outgoing(b)], "x")
    tally = run_worker()
    assert (tally.failed, tally.sent) == (1, 1)
    assert "SMTPUTF8" in Message.objects.get(customer=a).last_error


def test_suppressed_and_unconsented_marketing_is_skipped_greetings_still_go(
    smtp_server, business, rep
):
    from lifelong.outreach.compliance import suppress

    consenting, unconsenting, suppressed = make_customers(rep, 3)
    Customer.objects.filter(pk=unconsenting.pk).update(email_consent=False)
    suppress(address_of(suppressed).upper(), "manual")
    marketing = make_program(Purpose.MARKETING)
    greeting = make_program(Purpose.RELATIONSHIP, name="Birthday")
    everyone = [consenting, unconsenting, suppressed]
    enqueue(marketing, [outgoing(c) for c in everyone], "x")
    enqueue(greeting, [outgoing(c) for c in everyone], "2025-06-01")
    run_worker()

    sent = {(m.program_id, m.customer_id) for m in Message.objects.filter(status="sent")}
    assert sent == {
        (marketing.pk, consenting.pk),
        (greeting.pk, consenting.pk),
        (greeting.pk, unconsenting.pk),
    }
    skipped = {m.customer_id: m.last_error for m in Message.objects.filter(status="skipped")}
    assert "consented" in skipped[unconsenting.pk]
    assert "suppression list" in skipped[suppressed.pk]
    assert len(smtp_server.received) == 3
    assert Suppression.objects.count() == 1


def test_a_draft_is_not_sent(smtp_server, business, rep):
    (customer,) = make_customers(rep, 1)
    enqueue(make_program(), [outgoing(customer)], "x", status=MessageStatus.DRAFT)
    assert run_worker().sent == 0
    assert smtp_server.received == []
