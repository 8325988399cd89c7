import datetime as dt

import pytest
import time_machine

from lifelong.outreach import sending
from lifelong.outreach.models import Message, MessageStatus, Program, Template
from lifelong.promises import emails, services
from lifelong.promises.tests.conftest import NOW, TODAY, make
from lifelong.touches.models import Touch

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_no_email_unless_asked(rep, customer):
    p = make(customer, rep)
    services.keep(p, by=rep)
    assert not Message.objects.exists()
    assert not Program.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_made_and_kept_are_each_queued_once(rep, customer, business):
    p = make(customer, rep, notify_customer=True, due_on=TODAY + dt.timedelta(days=3))
    (made,) = Message.objects.all()
    assert made.occurrence == f"promise:{p.pk}:made"
    assert made.status == MessageStatus.QUEUED
    assert made.to_address == "anna@berg.example"
    assert made.subject == "Our promise to you: Call back with the quote"
    assert "Call back with the quote, by 13 Jun 2025." in made.body_text
    assert made.body_text.startswith("Dear Anna,")
    assert made.sender == rep
    assert made.program.name == "Promise made"
    assert made.program.template.key == "promise-made"
    assert made.program.purpose == "relationship"
    assert made.program.next_run_at is None  # the scheduler never runs it
    # Asking again adds nothing: the outbox's unique key.
    assert emails.send_made(p) == 0
    services.keep(p, by=rep)
    assert emails.send_kept(p) == 0
    kept = Message.objects.get(occurrence=f"promise:{p.pk}:kept")
    assert kept.subject == "Done: Call back with the quote"
    assert Message.objects.count() == 2
    # One program and one template per purpose, whatever the number of promises.
    make(customer, rep, notify_customer=True, what="Another")
    assert Program.objects.count() == 2
    assert Template.objects.filter(key__startswith="promise-").count() == 2


@time_machine.travel(NOW, tick=False)
def test_an_edited_template_is_used_as_edited(rep, customer):
    template = emails.ensure_template("made")
    template.subject = "We promise: {{ promise.what }} ({{ business_name }})"
    template.save()
    make(customer, rep, notify_customer=True)
    assert Message.objects.get().subject.startswith("We promise: Call back with the quote")


@time_machine.travel(NOW, tick=False)
def test_a_customer_without_email_gets_none(rep, customer):
    customer.emails.all().delete()
    p = make(customer, rep, notify_customer=True)
    assert p.pk and not Message.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_renegotiating_tells_the_customer_the_new_date(rep, customer):
    p = make(customer, rep, notify_customer=True)
    new = services.renegotiate(p, by=rep, due_on=TODAY + dt.timedelta(days=9))
    assert new.notify_customer
    message = Message.objects.get(occurrence=f"promise:{new.pk}:made")
    assert "by 19 Jun 2025" in message.body_text


def test_the_worker_sends_them_and_logs_each_as_a_touch(smtp_server, business, rep, customer):
    with time_machine.travel(NOW, tick=False):
        p = make(customer, rep, notify_customer=True)
        services.keep(p, by=rep)  # no channel: the email is the touch
    assert not Touch.objects.exists()
    tally = sending.Worker().run(once=True)
    assert tally.sent == 2
    subjects = sorted(r.email["Subject"] for r in smtp_server.by_recipient("anna@berg.example"))
    assert subjects == [
        "Done: Call back with the quote",
        "Our promise to you: Call back with the quote",
    ]
    # A relationship message: no unsubscribe headers.
    assert all(r.email["List-Unsubscribe"] is None for r in smtp_server.received)
    assert Touch.objects.filter(customer=customer, channel="email").count() == 2
    assert sending.Worker().run(once=True).sent == 0
