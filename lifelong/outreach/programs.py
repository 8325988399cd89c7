"""Programs: when each one runs, whom it reaches, and the messages it puts in the outbox.

A program sends its template to a segment once (one_off) or on a schedule (recurring:
monthly, quarterly, yearly or an RFC 5545 RRULE), or greets customers `days_before` each
occurrence of an occasion kind (greeting). Running a program renders each recipient's
message and enqueues it (outbox.enqueue) under the key (program, customer, occurrence):
the scheduled moment for a run, the occasion and its date for a greeting. So running the
same occurrence twice (a retried cron job, two workers) adds nothing, and nothing is
sent twice.

Programs that ask for review create drafts: the owner approves, edits or skips each.
Greetings default to drafts, since a birthday card is personal.

The sender is the customer's owner (name, signature, Reply-To) unless the program names
somebody else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from dateutil.rrule import MONTHLY, YEARLY, rrule, rrulestr
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer, CustomerEmail
from lifelong.occasions import services as occasions
from lifelong.occasions.models import Kind as OccasionKind
from lifelong.outreach.models import (
    Approval,
    Message,
    MessageStatus,
    Program,
    ProgramKind,
    Purpose,
    Recurrence,
)
from lifelong.outreach.outbox import Outgoing, enqueue, occurrence_key
from lifelong.outreach.rendering import context_for, render
from lifelong.segments.services import members

# A worker that was down does not send a backlog of runs: only the latest missed one.
# Greetings look back this many days for occasions a stopped worker did not greet.
GREETING_CATCH_UP_DAYS = 3
CHUNK = 1000
GREETING_KINDS = [
    OccasionKind.BIRTHDAY,
    OccasionKind.RELATIVE_BIRTHDAY,
    OccasionKind.WEDDING_ANNIVERSARY,
    OccasionKind.CUSTOMER_SINCE,
]


# ---------------------------------------------------------------- schedules


def _rule(program: Program):
    start = program.starts_at
    if program.recurrence == Recurrence.MONTHLY:
        return rrule(MONTHLY, dtstart=start)
    if program.recurrence == Recurrence.QUARTERLY:
        return rrule(MONTHLY, interval=3, dtstart=start)
    if program.recurrence == Recurrence.YEARLY:
        return rrule(YEARLY, dtstart=start)
    return rrulestr(program.rrule, dtstart=start)


def check_rrule(text: str) -> None:
    """ValidationError unless `text` is an RRULE we can run ("FREQ=MONTHLY;BYMONTHDAY=1")."""
    body = text.strip().removeprefix("RRULE:")
    if not body.upper().startswith("FREQ="):
        raise ValidationError({"rrule": ["Start with FREQ=, as in FREQ=MONTHLY;BYMONTHDAY=1."]})
    try:
        rule = rrulestr(body, dtstart=timezone.now())
        rule.after(timezone.now())
    except (ValueError, TypeError) as e:
        raise ValidationError({"rrule": [f"Not a valid RRULE: {e}"]}) from None


def next_run(program: Program, after: dt.datetime) -> dt.datetime | None:
    """The first scheduled run strictly after `after`; None when there is none (a one-off
    that has run, a finished rule, or a greeting, which runs daily instead)."""
    if program.kind == ProgramKind.GREETING:
        return None
    if program.kind == ProgramKind.ONE_OFF:
        return program.starts_at if program.starts_at > after else None
    return _rule(program).after(after)


def first_run(program: Program) -> dt.datetime | None:
    """The first run at or after the program's start."""
    if program.kind == ProgramKind.GREETING:
        return None
    return next_run(program, program.starts_at - dt.timedelta(microseconds=1))


# ---------------------------------------------------------------- saving


def clean_program(program: Program) -> None:
    errors: dict[str, list[str]] = {}
    if not program.name.strip():
        errors["name"] = ["Give the program a name."]
    if program.kind == ProgramKind.GREETING:
        if program.occasion_kind not in GREETING_KINDS:
            errors["occasion_kind"] = ["Choose which occasion it greets."]
        if program.days_before > 60:
            errors["days_before"] = ["At most 60 days before."]
    elif program.segment_id is None:
        errors["segment"] = ["Choose whom it goes to (a segment)."]
    if program.kind == ProgramKind.RECURRING:
        if not program.recurrence:
            errors["recurrence"] = ["Choose how often."]
        elif program.recurrence == Recurrence.RRULE:
            try:
                check_rrule(program.rrule)
            except ValidationError as e:
                errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_program(program: Program, *, by: User | None = None) -> Program:
    """Validate and save; (re)compute when it next runs."""
    clean_program(program)
    if program.kind != ProgramKind.RECURRING:
        program.recurrence, program.rrule = "", ""
    if program.kind != ProgramKind.GREETING:
        program.occasion_kind, program.days_before = "", 0
    if by is not None and program.created_by_id is None:
        program.created_by = by
    if not program.active:
        program.next_run_at = None
    elif program.last_run_at is None:
        program.next_run_at = first_run(program)
    else:
        program.next_run_at = next_run(program, program.last_run_at)
    program.save()
    return program


# ---------------------------------------------------------------- recipients


def _with_contact_points(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    return customers.select_related("owner").prefetch_related(
        Prefetch("emails", queryset=CustomerEmail.objects.order_by("position", "id")),
        "relatives",
    )


def recipients(program: Program) -> QuerySet[Customer]:
    """Whom a run of `program` writes to: its segment's customers (business-wide) who are
    not archived and have an email address. Marketing needs consent; the worker checks
    consent and the suppression list again at send time."""
    if program.segment_id is None:
        return Customer.objects.none()
    customers = members(program.segment).filter(archived_at__isnull=True, emails__isnull=False)
    if program.purpose == Purpose.MARKETING:
        customers = customers.filter(email_consent=True)
    return customers.distinct()


def _chunked(customers: QuerySet[Customer]) -> Iterator[list[Customer]]:
    """Customers in id order, a chunk at a time with their emails, relatives and owner."""
    last = 0
    ids = customers.order_by("pk").values_list("pk", flat=True)
    while chunk := list(ids.filter(pk__gt=last)[:CHUNK]):
        yield list(_with_contact_points(Customer.objects.filter(pk__in=chunk)).order_by("pk"))
        last = chunk[-1]


def _outgoing(
    program: Program, customer: Customer, occasion=None, send_after=None, occurrence: str = ""
) -> Outgoing | None:
    emails = list(customer.emails.all())
    if not emails:
        return None
    sender = program.sender or customer.owner
    extra = None
    if program.survey_id is not None:
        # The customer's own link for this occurrence: the same one if the run repeats.
        from lifelong.surveys import services as surveys

        invitation = surveys.invitation_for(program.survey, customer, occurrence)
        extra = {"survey_url": surveys.survey_url(invitation)}
    context = context_for(customer, sender=sender, occasion=occasion, extra=extra)
    parts = render(program.template, context)
    return Outgoing(
        customer_id=customer.pk,
        to_address=emails[0].address,
        subject=parts.subject,
        body_text=parts.body_text,
        body_html=parts.body_html,
        from_name=sender.get_full_name() or sender.username,
        sender_id=sender.pk,
        send_after=send_after,
    )


def _status(program: Program) -> str:
    return MessageStatus.DRAFT if program.approval == Approval.DRAFTS else MessageStatus.QUEUED


# ---------------------------------------------------------------- running


@dataclass
class RunReport:
    programs: int = 0
    created: int = 0
    lines: list[str] = field(default_factory=list)


def run_program(program: Program, occurrence: dt.datetime) -> int:
    """Enqueue `program`'s messages for the run scheduled at `occurrence`; how many new."""

    key = occurrence_key(occurrence)

    def messages() -> Iterator[Outgoing]:
        for chunk in _chunked(recipients(program)):
            for customer in chunk:
                if (out := _outgoing(program, customer, occurrence=key)) is not None:
                    yield out

    return enqueue(program, messages(), key, status=_status(program))


def run_greetings(program: Program, today: dt.date) -> int:
    """Enqueue `program`'s greetings for occasions `days_before` days from `today` (and the
    few days before, in case the worker was stopped); how many new."""
    created = 0
    for back in range(GREETING_CATCH_UP_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        on = day + dt.timedelta(days=program.days_before)
        if on < today:  # the occasion itself has passed: too late to greet
            continue
        created += _greet_on(program, on)
    return created


def _greet_on(program: Program, on: dt.date) -> int:
    customers = Customer.objects.not_erased().filter(archived_at__isnull=True, emails__isnull=False)
    if program.segment_id is not None:
        customers = customers.filter(pk__in=members(program.segment).values("pk"))
    if program.purpose == Purpose.MARKETING:
        customers = customers.filter(email_consent=True)
    found = [
        u
        for u in occasions.upcoming(customers.distinct(), on)
        if u.on == on and u.kind == program.occasion_kind
    ]
    by_key: dict[str, list[Outgoing]] = {}
    people = {
        c.pk: c
        for c in _with_contact_points(
            Customer.objects.filter(pk__in={u.occasion.customer_id for u in found})
        )
    }
    for u in found:
        customer = people[u.occasion.customer_id]
        who = u.occasion.relative_id or "self"
        key = f"{u.kind}:{who}:{u.on.isoformat()}"
        out = _outgoing(program, customer, occasion=u, occurrence=occurrence_key(key))
        if out is None:
            continue
        by_key.setdefault(key, []).append(out)
    return sum(enqueue(program, outs, key, status=_status(program)) for key, outs in by_key.items())


def run_due(now: dt.datetime | None = None) -> RunReport:
    """Run every active program that is due at `now`, and today's greetings. The worker
    calls this on every pass; it is cheap when nothing is due (an indexed next_run_at)."""
    now = now or timezone.now()
    report = RunReport()
    due = Program.objects.filter(active=True, next_run_at__lte=now).select_related(
        "template", "segment", "sender"
    )
    for program in due:
        # The latest scheduled moment not after now: a backlog of missed runs is one run.
        occurrence = program.next_run_at
        while (later := next_run(program, occurrence)) is not None and later <= now:
            occurrence = later
        created = run_program(program, occurrence)
        program.last_run_at = occurrence
        program.next_run_at = next_run(program, occurrence)
        program.save(update_fields=["last_run_at", "next_run_at"])
        report.programs += 1
        report.created += created
        report.lines.append(f"{program.name}: {created} new message(s) for {occurrence:%Y-%m-%d}.")
    today = Business.get().today(now)
    greetings = Program.objects.filter(active=True, kind=ProgramKind.GREETING).select_related(
        "template", "segment", "sender"
    )
    for program in greetings:
        created = run_greetings(program, today)
        Program.objects.filter(pk=program.pk).update(last_run_at=now)
        if created:
            report.programs += 1
            report.created += created
            report.lines.append(f"{program.name}: {created} new greeting(s).")
    return report


def run_now(program: Program, *, now: dt.datetime | None = None) -> int:
    """Run `program` once at `now` (the "Run now" button); greetings run for today."""
    now = now or timezone.now()
    if program.kind == ProgramKind.GREETING:
        return run_greetings(program, Business.get().today(now))
    if program.kind == ProgramKind.ONE_OFF:
        # A one-off has one occurrence: running it early is that run, not another one.
        created = run_program(program, program.starts_at)
        program.last_run_at, program.next_run_at = now, None
        program.save(update_fields=["last_run_at", "next_run_at"])
        return created
    created = run_program(program, now)
    Program.objects.filter(pk=program.pk).update(last_run_at=now)
    return created


# ---------------------------------------------------------------- drafts


def _draft(message: Message) -> Message:
    if message.status != MessageStatus.DRAFT:
        raise ValidationError("Only a draft can be approved, edited or skipped.")
    return message


@transaction.atomic
def approve(message: Message, *, by: User) -> Message:
    """A reviewed draft goes to the outbox, to be sent when due."""
    _draft(message)
    message.status = MessageStatus.QUEUED
    message.last_error = ""
    message.updated_at = timezone.now()
    message.save(update_fields=["status", "last_error", "updated_at"])
    return message


@transaction.atomic
def skip(message: Message, *, by: User) -> Message:
    _draft(message)
    message.status = MessageStatus.SKIPPED
    message.last_error = f"Skipped in review by {by.display_name}."
    message.updated_at = timezone.now()
    message.save(update_fields=["status", "last_error", "updated_at"])
    return message


@transaction.atomic
def edit_draft(message: Message, *, subject: str, body_text: str, body_html: str) -> Message:
    _draft(message)
    errors = {}
    if not subject.strip():
        errors["subject"] = ["A message needs a subject."]
    if not body_text.strip():
        errors["body_text"] = ["A message needs a plain-text body."]
    if errors:
        raise ValidationError(errors)
    message.subject = " ".join(subject.split())[:300]
    message.body_text = body_text
    message.body_html = body_html
    message.updated_at = timezone.now()
    message.save(update_fields=["subject", "body_text", "body_html", "updated_at"])
    return message


def counts(programs: QuerySet[Program]) -> QuerySet[Program]:
    """`programs` with how many of their messages are in each status."""
    by = {s: Count("messages", filter=Q(messages__status=s)) for s in MessageStatus.values}
    return programs.annotate(**{f"n_{s}": c for s, c in by.items()})
