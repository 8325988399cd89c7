"""The worker as a process: killed with SIGKILL mid-campaign, stopped with SIGTERM, and
two at once on PostgreSQL. Each recipient gets exactly one message."""

import os
import signal
import subprocess
import time

import pytest
from django.db import connection

from lifelong.outreach import sending
from lifelong.outreach.models import Message, MessageStatus
from lifelong.outreach.outbox import enqueue
from lifelong.outreach.tests.conftest import (
    address_of,
    copy_back,
    make_customers,
    make_program,
    outgoing,
    start_worker,
    worker_database_url,
)
from lifelong.touches.models import Touch

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = 1000


@pytest.fixture
def campaign(business, rep) -> list[str]:
    """A marketing program to 1,000 consenting customers, enqueued; their addresses."""
    customers = make_customers(rep, CUSTOMERS)
    enqueue(make_program(), [outgoing(c) for c in customers], "2025-Q1")
    return [address_of(c) for c in customers]


def assert_each_sent_once(smtp_server, addresses: list[str]) -> None:
    received = smtp_server.received
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(addresses)
    assert len({r.email["Message-ID"] for r in received}) == len(addresses)
    statuses = dict(Message.objects.values_list("status").annotate().values_list("status", "id"))
    assert Message.objects.exclude(status=MessageStatus.SENT).count() == 0, statuses
    assert Message.objects.filter(touch_logged=True).count() == len(addresses)
    assert Touch.objects.count() == len(addresses)


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


@pytest.mark.parametrize("moment", ["after the end of data", "before DATA"])
def test_a_worker_killed_mid_campaign_resumes_and_sends_each_message_once(
    smtp_server, campaign, tmp_path, moment
):
    url = worker_database_url(tmp_path)
    worker = start_worker(url, smtp_server, "--once", "--batch", "64")

    def kill(count: int) -> None:
        if count == 500:
            os.kill(worker.pid, signal.SIGKILL)

    # After the end of data the worker waits for the 250 of message 500, the hand-over of
    # its group committed and the markers of the whole group written; before DATA it waits
    # for the reply to RCPT TO of message 500, its group not handed over yet.
    if moment == "before DATA":
        smtp_server.on_rcpt = kill
    else:
        smtp_server.on_message = kill
    code, err = finish(worker)
    assert code == -signal.SIGKILL, err
    smtp_server.on_message = smtp_server.on_rcpt = None
    copy_back(url)
    handed_over = Message.objects.filter(status=MessageStatus.SENT).count()
    if moment == "before DATA":
        assert 500 - sending.GROUP <= handed_over <= 499
    else:
        assert 500 <= handed_over < 500 + sending.GROUP
    # What the server got is exactly what was handed over: the markers the killed worker
    # wrote reach the server (the kernel delivers them), those it did not never do.
    wait_for(lambda: len(smtp_server.received) >= handed_over)
    received = sorted(r.rcpt_tos[0] for r in smtp_server.received)
    sent = Message.objects.filter(status=MessageStatus.SENT).values_list("to_address", flat=True)
    assert received == sorted(sent)

    restarted = start_worker(url, smtp_server, "--once", "--batch", "64")
    code, err = finish(restarted)
    assert code == 0, err
    assert "Queued again" in err  # the claims of the killed worker
    copy_back(url)
    assert_each_sent_once(smtp_server, campaign)


def test_sigterm_finishes_the_message_in_hand_and_gives_the_rest_back(
    smtp_server, campaign, tmp_path
):
    url = worker_database_url(tmp_path)
    worker = start_worker(url, smtp_server, "--batch", "64", "--sleep", "0.1")

    def terminate(count: int) -> None:
        if count == 100:
            os.kill(worker.pid, signal.SIGTERM)

    smtp_server.on_message = terminate
    code, err = finish(worker)
    assert code == 0, err
    assert "Stopping after the message in hand" in err
    smtp_server.on_message = None
    copy_back(url)
    sent = Message.objects.filter(status=MessageStatus.SENT).count()
    assert sent == len(smtp_server.received) >= 100
    assert sent < CUSTOMERS
    assert not Message.objects.filter(status=MessageStatus.SENDING).exists()
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == CUSTOMERS - sent


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="several workers at once need PostgreSQL (SKIP LOCKED); SQLite has one writer",
)
def test_two_workers_at_once_send_each_message_once(smtp_server, campaign, tmp_path):
    assert connection.vendor == "postgresql"
    url = worker_database_url(tmp_path)
    workers = [start_worker(url, smtp_server, "--once", "--batch", "20") for _ in range(2)]
    for worker in workers:
        code, err = finish(worker)
        assert code == 0, err
    assert_each_sent_once(smtp_server, campaign)
    by_worker = Message.objects.values_list("claimed_by", flat=True).distinct()
    assert len(set(by_worker)) == 2  # both took a share
