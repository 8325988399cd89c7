"""Programs: schedules, recipients, idempotent runs, greetings, drafts, pages and access."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import save_customer, set_answer
from lifelong.outreach import programs
from lifelong.outreach.models import Message, MessageStatus, Program, Template
from lifelong.outreach.sending import Worker
from lifelong.segments.models import Segment
from lifelong.touches.models import Touch

NOW = dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Stockholm
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def everyone() -> Segment:
    return Segment.objects.create(name="Everyone", filters={})


@pytest.fixture
def template() -> Template:
    return Template.objects.create(
        name="Update",
        subject="News for {{ first_name|default:'you' }}",
        body_text="Dear {{ first_name|default:'friend' }},\n\nRates are down.\n\n{{ sender_name }}",
        body_html="<p>Dear {{ first_name|default:'friend' }},</p>",
    )


@pytest.fixture
def greeting_template() -> Template:
    return Template.objects.create(
        name="Birthday",
        purpose="relationship",
        subject="Happy birthday, {{ first_name }}!",
        body_text="{{ occasion.title }} on {{ occasion.date }}. {{ sender_name }}",
    )


def person(owner, first, email, *, consent=True, **extra) -> Customer:
    return save_customer(
        Customer(owner=owner, first_name=first, last_name="Test", email_consent=consent, **extra),
        emails=[email] if email else [],
    )


def program(template, segment=None, **fields) -> Program:
    p = Program(name=fields.pop("name", "Quarterly"), template=template, segment=segment, **fields)
    return programs.save_program(p)


def test_schedules_monthly_quarterly_yearly_and_rrule(template, everyone):
    start = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
    q = program(template, everyone, kind="recurring", recurrence="quarterly", starts_at=start)
    assert q.next_run_at == start
    assert programs.next_run(q, start) == dt.datetime(2026, 7, 31, 9, 0, tzinfo=dt.UTC)
    y = program(template, everyone, kind="recurring", recurrence="yearly", starts_at=start)
    assert programs.next_run(y, start) == start.replace(year=2027)
    r = program(template, everyone, kind="recurring", recurrence="rrule",
                rrule="FREQ=MONTHLY;BYMONTHDAY=1", starts_at=start)  # fmt: skip
    assert programs.next_run(r, start) == dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
    once = program(template, everyone, kind="one_off", starts_at=start)
    assert once.next_run_at == start and programs.next_run(once, start) is None


def test_validation_names_the_field(template, everyone):
    with pytest.raises(ValidationError) as e:
        program(template, None, kind="one_off")
    assert "segment" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        program(template, everyone, kind="recurring", recurrence="rrule", rrule="every day")
    assert "rrule" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        program(template, None, kind="greeting", occasion_kind="")
    assert "occasion_kind" in e.value.message_dict


def test_a_run_writes_to_the_segment_personalised_from_the_owner(rep, template, everyone):
    anna = person(rep, "Anna", "anna@example.com")
    person(rep, "NoMail", None)
    person(rep, "NoConsent", "nc@example.com", consent=False)
    p = program(template, everyone, kind="one_off", starts_at=NOW)
    assert programs.run_due(NOW).created == 1
    (m,) = Message.objects.all()
    assert (m.customer, m.to_address, m.status) == (anna, "anna@example.com", MessageStatus.QUEUED)
    assert m.subject == "News for Anna" and m.body_text.endswith("Ruben Rep\n")
    assert m.from_name == "Ruben Rep" and m.sender == rep
    p.refresh_from_db()
    assert p.last_run_at == NOW and p.next_run_at is None


def test_running_the_same_occurrence_twice_adds_nothing(rep, template, everyone):
    person(rep, "Anna", "anna@example.com")
    p = program(template, everyone, kind="recurring", recurrence="monthly", starts_at=NOW)
    assert programs.run_program(p, NOW) == 1
    assert programs.run_program(p, NOW) == 0
    assert Message.objects.count() == 1


def test_a_stopped_worker_sends_one_run_not_a_backlog(rep, template, everyone, clock):
    person(rep, "Anna", "anna@example.com")
    start = NOW - dt.timedelta(days=100)
    program(template, everyone, kind="recurring", recurrence="monthly", starts_at=start)
    report = programs.run_due(NOW)
    assert report.created == 1
    (m,) = Message.objects.all()
    # The latest missed month only (RFC 5545: a monthly rule from the 29th skips February).
    assert m.occurrence == "2026-01-29T08:00Z"


def test_birthday_greetings_once_however_often_they_run(rep, greeting_template):
    anna = person(rep, "Anna", "anna@example.com", consent=False)
    set_answer(anna, ProfileQuestion.objects.get(key="birthday"), "1980-03-12", by=rep)
    bo = person(rep, "Bo", "bo@example.com")
    Relative.objects.create(customer=bo, name="Ella", relationship="child", birthday="--03-12")
    g = program(greeting_template, None, kind="greeting", occasion_kind="birthday",
                days_before=3, approval="drafts", purpose="relationship")  # fmt: skip
    assert programs.run_due(NOW).created == 1
    assert programs.run_due(NOW).created == 0  # the same day again
    (m,) = Message.objects.filter(program=g)
    assert m.customer == anna and m.status == MessageStatus.DRAFT
    assert m.subject == "Happy birthday, Anna!" and m.body_text.startswith("Birthday on ")
    # A relationship greeting needs no marketing consent; Ella's birthday is another kind.


def test_drafts_are_approved_edited_or_skipped(rep, template, everyone):
    person(rep, "Anna", "anna@example.com")
    person(rep, "Bo", "bo@example.com")
    p = program(template, everyone, kind="one_off", starts_at=NOW, approval="drafts")
    assert programs.run_now(p) == 2
    first, second = Message.objects.order_by("id")
    programs.edit_draft(first, subject="Personal news", body_text="Hi Anna", body_html="")
    programs.approve(first, by=rep)
    programs.skip(second, by=rep)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.subject) == (MessageStatus.QUEUED, "Personal news")
    assert second.status == MessageStatus.SKIPPED and "Skipped in review" in second.last_error
    with pytest.raises(ValidationError):
        programs.approve(second, by=rep)


def test_end_to_end_to_a_real_smtp_server(rep, template, everyone, smtp_server, business):
    anna = person(rep, "Anna", "anna@example.com")
    program(template, everyone, kind="one_off", starts_at=NOW)
    programs.run_due(NOW)
    tally = Worker(batch=10).run(once=True)
    assert tally.sent == 1
    (got,) = smtp_server.received
    assert got.email["Subject"] == "News for Anna"
    assert got.email["From"].addresses[0].display_name == "Ruben Rep"
    touch = Touch.objects.get(customer=anna)
    assert touch.channel == "email"
    assert Customer.objects.get(pk=anna.pk).next_due_at == NOW + dt.timedelta(days=30)


# ---------------------------------------------------------------- pages and access


def test_owner_creates_runs_and_approves_from_the_pages(owner_client, rep, template, everyone):
    person(rep, "Anna", "anna@example.com")
    r = owner_client.post(reverse("outreach:program_new"), {
        "name": "Spring news", "kind": "one_off", "purpose": "marketing",
        "template": template.pk, "segment": everyone.pk, "starts_at": "2026-03-09T09:00",
        "approval": "drafts", "days_before": 0, "active": "on",
    })  # fmt: skip
    assert r.status_code == 302, r.content
    p = Program.objects.get(name="Spring news")
    owner_client.post(reverse("outreach:program_run", args=[p.pk]))
    (m,) = Message.objects.filter(program=p)
    page = owner_client.get(reverse("outreach:drafts"))
    assert b"News for Anna" in page.content
    owner_client.post(reverse("outreach:draft_act", args=[m.pk]), {"action": "approve"})
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED
    assert b"Spring news" in owner_client.get(reverse("outreach:programs")).content


def test_reps_read_programs_but_do_not_change_them(rep_client, template, everyone):
    p = program(template, everyone, kind="one_off", starts_at=NOW)
    assert rep_client.get(reverse("outreach:programs")).status_code == 200
    assert rep_client.get(reverse("outreach:program_new")).status_code == 403
    assert rep_client.post(reverse("outreach:program_run", args=[p.pk])).status_code == 403
    assert rep_client.post(reverse("outreach:program_toggle", args=[p.pk])).status_code == 403


def test_an_outsider_cannot_see_or_act_on_anothers_drafts(rep, outsider_client, template,
                                                          everyone):  # fmt: skip
    person(rep, "Anna", "anna@example.com")
    p = program(template, everyone, kind="one_off", starts_at=NOW, approval="drafts")
    programs.run_now(p)
    (m,) = Message.objects.all()
    assert b"News for Anna" not in outsider_client.get(reverse("outreach:drafts")).content
    assert outsider_client.get(reverse("outreach:draft", args=[m.pk])).status_code == 404
    r = outsider_client.post(reverse("outreach:draft_act", args=[m.pk]), {"action": "approve"})
    assert r.status_code == 404
    m.refresh_from_db()
    assert m.status == MessageStatus.DRAFT


def test_api_creates_runs_and_reviews(owner, rep, outsider, client, template, everyone):
    from conftest import bearer

    person(rep, "Anna", "anna@example.com")
    body = {"name": "Api news", "kind": "one_off", "template": template.pk,
            "segment": everyone.pk, "approval": "drafts"}  # fmt: skip
    assert client.post("/api/v1/programs", body, content_type="application/json",
                       headers=bearer(rep)).status_code == 403  # fmt: skip
    bad = client.post("/api/v1/programs", {**body, "segment": None},
                      content_type="application/json", headers=bearer(owner))  # fmt: skip
    assert bad.status_code == 422
    r = client.post("/api/v1/programs", body, content_type="application/json",
                    headers=bearer(owner))  # fmt: skip
    assert r.status_code == 201 and r.json()["next_run_at"]
    pid = r.json()["id"]
    assert client.post(f"/api/v1/programs/{pid}/run", headers=bearer(owner)).json() == {
        "created": 1
    }
    (m,) = Message.objects.all()
    assert (
        client.post(f"/api/v1/drafts/{m.pk}/approve", headers=bearer(outsider)).status_code == 404
    )
    assert client.post(f"/api/v1/drafts/{m.pk}/approve", headers=bearer(rep)).status_code == 200
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED
    assert client.post(f"/api/v1/drafts/{m.pk}/skip", headers=bearer(rep)).status_code == 404


def test_running_a_one_off_early_is_its_only_run(rep, template, everyone, clock):
    person(rep, "Anna", "anna@example.com")
    p = program(template, everyone, kind="one_off", starts_at=NOW + dt.timedelta(days=2))
    assert programs.run_now(p) == 1
    p.refresh_from_db()
    assert p.next_run_at is None
    clock.shift(dt.timedelta(days=3))
    assert programs.run_due().created == 0
    assert Message.objects.count() == 1
