"""The worker hands messages over in groups: one message on each of several SMTP
connections, all but the end-of-data marker, then one commit, then the markers."""

import logging

import pytest

from lifelong.outreach import sending, smtp
from lifelong.outreach.models import Message, MessageStatus
from lifelong.outreach.outbox import enqueue
from lifelong.outreach.tests.conftest import address_of, make_customers, make_program, outgoing

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(monkeypatch) -> list[list[int]]:
    """The ids of each group send_group() was given, in order."""
    seen: list[list[int]] = []
    original = sending.Worker.send_group

    def spy(self, group, *args, **kwargs):
        seen.append([message.pk for message, _content in group])
        return original(self, group, *args, **kwargs)

    monkeypatch.setattr(sending.Worker, "send_group", spy)
    return seen


def test_messages_go_in_groups_over_several_connections(smtp_server, business, rep, groups):
    customers = make_customers(rep, 20)
    enqueue(make_program(), [outgoing(c) for c in customers], "x")
    worker = sending.Worker(connections=8)
    tally = worker.run(once=True)
    assert tally.sent == 20
    assert [len(g) for g in groups] == [8, 8, 4]
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(
        address_of(c) for c in customers
    )
    assert len({r.email["Message-ID"] for r in smtp_server.received}) == 20
    assert Message.objects.filter(status=MessageStatus.SENT, touch_logged=True).count() == 20


def test_one_connection_sends_one_message_at_a_time(smtp_server, business, rep, groups):
    customers = make_customers(rep, 3)
    enqueue(make_program(), [outgoing(c) for c in customers], "x")
    assert sending.Worker(connections=1).run(once=True).sent == 3
    assert [len(g) for g in groups] == [1, 1, 1]


def test_a_message_taken_over_mid_group_is_not_sent_here(
    smtp_server, business, rep, monkeypatch, caplog
):
    """Another worker took one claim over between DATA and the group commit (this one
    stalled past --stale-after): that message's DATA is dropped without the marker, the
    rest of the group is handed over and sent."""
    customers = make_customers(rep, 4)
    enqueue(make_program(), [outgoing(c) for c in customers], "x")
    taken = Message.objects.get(customer=customers[1])
    original = smtp.begin_many

    def begin_then_lose_one(jobs):
        errors = original(jobs)
        Message.objects.filter(pk=taken.pk).update(claimed_by="elsewhere:1:abcdef")
        return errors

    monkeypatch.setattr(smtp, "begin_many", begin_then_lose_one)
    with caplog.at_level(logging.WARNING, logger="lifelong.outreach.sending"):
        tally = sending.Worker(connections=4).run(once=True)
    assert tally.sent == 3
    assert "taken over by another worker" in caplog.text
    received = {r.rcpt_tos[0] for r in smtp_server.received}
    assert received == {address_of(c) for c in customers} - {address_of(customers[1])}
    taken.refresh_from_db()
    assert (taken.status, taken.claimed_by) == (MessageStatus.SENDING, "elsewhere:1:abcdef")
    assert taken.sent_at is None and not taken.touch_logged


def test_refusals_at_the_end_of_data_are_per_message(smtp_server, business, rep):
    accepted, refused, later = make_customers(rep, 3)
    smtp_server.replies[address_of(refused)] = ["550 5.7.1 Rejected"]
    smtp_server.replies[address_of(later)] = ["451 4.3.0 Try again later"]
    enqueue(make_program(), [outgoing(c) for c in (accepted, refused, later)], "x")
    tally = sending.Worker(connections=3).run(once=True)
    assert (tally.sent, tally.failed, tally.retried) == (1, 1, 1)
    by_customer = {m.customer_id: m for m in Message.objects.all()}
    assert by_customer[accepted.pk].status == MessageStatus.SENT
    assert by_customer[refused.pk].status == MessageStatus.FAILED
    assert "550 5.7.1 Rejected" in by_customer[refused.pk].last_error
    assert by_customer[later.pk].status == MessageStatus.QUEUED
    assert by_customer[later.pk].attempts == 1
    assert by_customer[refused.pk].sent_at is None and by_customer[later.pk].sent_at is None
    assert [r.rcpt_tos[0] for r in smtp_server.received] == [address_of(accepted)]


def test_no_reply_after_the_marker_counts_as_sent(smtp_server, business, rep, monkeypatch):
    """A connection lost after the marker: the server may have the message, so it stays
    sent (never twice), with a note; the rest of the group is unaffected."""
    customers = make_customers(rep, 3)
    enqueue(make_program(), [outgoing(c) for c in customers], "x")
    lost = address_of(customers[0])
    original = smtp.Connection.read_end

    def read_end(self):
        code, text = original(self)
        if self.last_rcpt == lost:
            self.abort()
            raise ConnectionResetError("reset by peer")
        return code, text

    original_put = smtp.Connection._put

    def put(self, command):
        if command.startswith("rcpt"):
            self.last_rcpt = command.partition("<")[2].rstrip(">")
        return original_put(self, command)

    monkeypatch.setattr(smtp.Connection, "read_end", read_end)
    monkeypatch.setattr(smtp.Connection, "_put", put)
    tally = sending.Worker(connections=3).run(once=True)
    assert tally.sent == 3
    message = Message.objects.get(to_address=lost)
    assert message.status == MessageStatus.SENT
    assert "No reply after the end of data" in message.last_error
    assert Message.objects.filter(status=MessageStatus.SENT, touch_logged=True).count() == 3
