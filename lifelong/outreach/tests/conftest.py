"""A real SMTP server on loopback (aiosmtpd) and programs with customers to send to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer, CustomerEmail
from lifelong.outreach.models import Program, ProgramKind, Purpose, Template
from lifelong.outreach.outbox import Outgoing

BASE_URL = "https://crm.example.test"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    email: EmailMessage


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts.

    `replies` maps a recipient to the DATA replies to give it, one per attempt, before
    accepting ("451 …" then nothing: accepted the second time). `on_message` is called
    (in the server's thread) with the count after each accepted message, before the
    server answers 250; `on_rcpt` with the count of RCPT commands, before answering.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: dict[str, list[str]] = {}
        self.on_message: Callable[[int], None] | None = None
        self.on_rcpt: Callable[[int], None] | None = None
        self.rcpts = 0
        self.lock = threading.Lock()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        envelope.rcpt_tos.append(address)
        with self.lock:
            self.rcpts += 1
            count = self.rcpts
        if self.on_rcpt:
            self.on_rcpt(count)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        with self.lock:
            planned = self.replies.get(rcpt)
            if planned:
                return planned.pop(0)
            raw = bytes(envelope.content)
            parsed = message_from_bytes(raw, policy=default)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
            count = len(self.received)
        if self.on_message:
            self.on_message(count)
        return "250 Message accepted for delivery"

    def by_recipient(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch) -> Iterator[Recorder]:
    """An SMTP server on 127.0.0.1 that records what it receives; EMAIL_URL points at it."""
    recorder = Recorder()
    recorder.port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{recorder.port}")
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def base_url(monkeypatch) -> str:
    monkeypatch.setenv("LIFELONG_BASE_URL", BASE_URL)
    return BASE_URL


@pytest.fixture
def business(db) -> Business:
    business = Business.get()
    business.name = "Berg & Co"
    business.sender_email = "hello@berg.example"
    business.postal_address = "Storgatan 1\n111 22 Stockholm"
    business.save()
    return business


def make_program(purpose: str = Purpose.MARKETING, **extra) -> Program:
    template = Template.objects.create(
        name="Quarterly update", purpose=purpose, subject="News", body_text="Hello"
    )
    return Program.objects.create(
        name=extra.pop("name", "Quarterly update"),
        kind=extra.pop("kind", ProgramKind.ONE_OFF),
        purpose=purpose,
        template=template,
        **extra,
    )


def make_customers(owner: User, count: int, *, consent: bool = True) -> list[Customer]:
    """`count` customers of `owner`, each with one address cNNNN@example.com, in bulk."""
    customers = Customer.objects.bulk_create(
        Customer(
            owner=owner,
            first_name=f"Customer{i}",
            last_name="Test",
            sort_name=f"test customer{i}",
            email_consent=consent,
        )
        for i in range(count)
    )
    CustomerEmail.objects.bulk_create(
        CustomerEmail(customer=c, address=address_of(c), label="home", position=0)
        for c in customers
    )
    return customers


def address_of(customer: Customer) -> str:
    return f"c{customer.pk}@example.com"


def outgoing(customer: Customer, **extra) -> Outgoing:
    fields = {
        "customer_id": customer.pk,
        "to_address": extra.pop("to_address", address_of(customer)),
        "subject": f"News for {customer.first_name}",
        "body_text": f"Dear {customer.first_name},\n\nOur news.\n\nOlivia",
        "body_html": (
            f"<html><body><p>Dear {customer.first_name},</p><p>Our news.</p></body></html>"
        ),
        "sender_id": customer.owner_id,
    }
    fields.update(extra)
    return Outgoing(**fields)


# ---------------------------------------------------------------- the worker as a process


def worker_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL another process can open and that holds the test data.

    PostgreSQL: the test database itself. SQLite: the test database is in memory, so it
    is copied to a file (copy_back() brings the worker's writes back afterwards).
    """
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    name = str(s["NAME"])
    if connection.creation.is_in_memory_db(name):
        path = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        import sqlite3

        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    return f"sqlite:///{name}"


def copy_back(url: str) -> None:
    """After a worker ran on a file copy of the in-memory SQLite test database."""
    if connection.vendor != "sqlite" or not url.startswith("sqlite:///"):
        return
    path = url.removeprefix("sqlite:///")
    if path == str(connection.settings_dict["NAME"]):
        return
    import sqlite3

    source = sqlite3.connect(path)
    source.backup(connection.connection)
    source.close()


def worker_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("lifelong")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lifelong"]
    return [*command, "worker", *args]


def worker_env(database_url: str, smtp: Recorder) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DATABASE_URL"] = database_url
    env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}"
    env["LIFELONG_BASE_URL"] = BASE_URL
    return env


def start_worker(database_url: str, smtp: Recorder, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        worker_command(*args),
        env=worker_env(database_url, smtp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
