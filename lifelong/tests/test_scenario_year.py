"""A year of a small business, one worker pass a day with time frozen at nine each
morning: the right agenda items on the right days, and nothing sent twice.

The worker's pass (`lifelong worker --once`) runs due programs and greetings, the
nightly value refresh and at-risk scores, then sends; the test then opens the owner's
agenda as a person would.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from lifelong.accounts.models import Business
from lifelong.agenda.services import act, agenda
from lifelong.customers.models import Customer, ProfileQuestion
from lifelong.customers.services import save_customer, set_answer
from lifelong.outreach import programs
from lifelong.outreach.jobs import run_jobs
from lifelong.outreach.models import Message, MessageStatus, Program, Template
from lifelong.outreach.sending import Worker
from lifelong.promises.services import keep, make_promise
from lifelong.segments.models import Segment

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
START = dt.date(2026, 1, 5)  # a Monday
pytestmark = pytest.mark.django_db


def nine(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=STOCKHOLM)


def kinds_for(owner, day: dt.date, customer: Customer) -> set[str]:
    return {i.kind for i in agenda(owner, day, limit=200) if i.customer_id == customer.pk}


def test_a_year_of_daily_worker_runs(owner, smtp_server, business):
    Business.objects.filter(pk=1).update(time_zone="Europe/Stockholm")
    traveller = time_machine.travel(nine(START), tick=False)
    clock = traveller.start()
    try:
        birthday = ProfileQuestion.objects.get(key="birthday")
        news = []
        for i in range(6):
            c = save_customer(
                Customer(owner=owner, first_name=f"Kund{i}", last_name="Test", email_consent=True),
                emails=[f"kund{i}@example.com"],
            )
            set_answer(c, birthday, f"--{(START + dt.timedelta(days=40 * i + 10)):%m-%d}", by=owner)
            news.append(c)
        quiet = save_customer(Customer(owner=owner, first_name="Tyst", last_name="Kund"))
        segment = Segment.objects.create(name="Yes to email", filters={"consent": "yes"})
        update = Template.objects.create(
            name="Update", subject="News for {{ first_name }}", body_text="Hello"
        )
        greeting = Template.objects.create(
            name="Birthday", purpose="relationship", subject="Happy birthday", body_text="Hi"
        )
        programs.save_program(Program(
            name="Quarterly", kind="recurring", recurrence="quarterly", template=update,
            segment=segment, starts_at=nine(START),
        ))  # fmt: skip
        programs.save_program(Program(
            name="Birthdays", kind="greeting", occasion_kind="birthday", days_before=0,
            purpose="relationship", template=greeting,
        ))  # fmt: skip
        promise = make_promise(
            quiet, what="Send the new price list", owner=owner, by=owner,
            due_on=START + dt.timedelta(days=100),
        )  # fmt: skip

        seen: dict[str, list[dt.date]] = {"contact": [], "promise": []}
        for offset in range(365):
            day = START + dt.timedelta(days=offset)
            clock.move_to(nine(day))
            run_jobs()
            Worker(batch=50).run(once=True)
            kinds = kinds_for(owner, day, quiet)
            for kind in seen:
                if kind in kinds:
                    seen[kind].append(day)
            if "contact" in kinds and day.day in (1, 15):
                act(owner, f"contact:{quiet.pk}", "done", channel="call", today=day)
            if day == promise.due_on:
                keep(promise, by=owner, channel="call")
    finally:
        traveller.stop()

    # Nothing was sent twice: every message the server got is one row, once.
    ids = [r.email["Message-ID"] for r in smtp_server.received]
    assert len(ids) == len(set(ids)) == Message.objects.filter(status=MessageStatus.SENT).count()
    # Four quarterly updates and one birthday greeting per customer, on the right days.
    for c in news:
        got = [
            r for r in smtp_server.received if r.rcpt_tos == [f"{c.first_name.lower()}@example.com"]
        ]
        subjects = sorted(r.email["Subject"] for r in got)
        assert subjects.count(f"News for {c.first_name}") == 4
        assert subjects.count("Happy birthday") == 1
    # The quiet customer hears nothing by email, so the agenda asks for a contact: first
    # 30 days after they were added, then again 30 days after each call.
    assert seen["contact"][0] == START + dt.timedelta(days=30)
    assert START + dt.timedelta(days=29) not in seen["contact"]
    # The promise shows from two days before it falls due until it is kept that day.
    due = START + dt.timedelta(days=100)
    assert seen["promise"] == [due - dt.timedelta(days=2), due - dt.timedelta(days=1), due]
