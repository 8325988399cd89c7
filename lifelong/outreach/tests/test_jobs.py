"""The worker's other jobs: due programs on every pass, the value refresh once a night."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.outreach import jobs, programs
from lifelong.outreach.models import JobRun, Message, Program, Template
from lifelong.segments.models import Segment
from lifelong.value.records import ValueFit

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stockholm(db):
    Business.objects.update_or_create(pk=1, defaults={"time_zone": "Europe/Stockholm"})


def at(hour: int, day: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 30, tzinfo=STOCKHOLM)


def test_the_nightly_refresh_runs_once_per_local_day_after_its_hour(customer):
    assert jobs.nightly(at(1)) is False  # 01:30: not yet
    assert jobs.nightly(at(2)) is True
    assert jobs.nightly(at(3)) is False  # already done today, also by another worker
    assert ValueFit.objects.count() == 1
    assert list(JobRun.objects.values_list("job", "day")) == [("nightly", dt.date(2026, 3, 9))]
    assert JobRun.objects.get().note.startswith("Values refreshed for")
    assert jobs.nightly(at(2, day=10)) is True
    assert ValueFit.objects.count() == 2


def test_a_worker_pass_runs_due_programs_and_the_nightly_refresh(rep, smtp_server, business):
    save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Lund", email_consent=True),
        emails=["anna@example.com"],
    )
    template = Template.objects.create(name="T", subject="Hi {{ first_name }}", body_text="Hello")
    segment = Segment.objects.create(name="All", filters={})
    with time_machine.travel(at(9), tick=False):
        programs.save_program(
            Program(
                name="Once", kind="one_off", template=template, segment=segment, starts_at=at(8)
            )
        )
        call_command("worker", "--once", verbosity=0)
    assert [r.rcpt_tos for r in smtp_server.received] == [["anna@example.com"]]
    assert Message.objects.get().status == "sent"
    assert JobRun.objects.filter(job="nightly").count() == 1
    with time_machine.travel(at(9), tick=False):
        call_command("worker", "--once", "--no-jobs", verbosity=0)
        call_command("worker", "--once", verbosity=0)
    assert len(smtp_server.received) == 1
    assert JobRun.objects.count() == 1
