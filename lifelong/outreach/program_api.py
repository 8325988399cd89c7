"""Programs in the REST API: read for everybody, write and run for owners and managers;
drafts are approved or skipped by whoever may see the customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.moments import UtcDatetime
from lifelong.outreach import programs
from lifelong.outreach.models import (
    Approval,
    Message,
    Program,
    ProgramKind,
    Purpose,
    Recurrence,
    Template,
)
from lifelong.outreach.program_views import _check_may_edit, _draft_for
from lifelong.segments.models import Segment
from lifelong.surveys.models import Survey

router = Router(tags=["programs"])


class ProgramIn(Schema):
    name: str = Field(max_length=200)
    kind: ProgramKind
    purpose: Purpose = Purpose.MARKETING
    template: int = Field(description="Template id.")
    segment: int | None = Field(None, description="Segment id; greetings may leave it out.")
    starts_at: UtcDatetime | None = Field(
        None, description="The first run (default: now); with its UTC offset."
    )
    recurrence: Recurrence | None = None
    rrule: str = Field("", max_length=300, description='With recurrence "rrule".')
    occasion_kind: str = Field("", description="Greetings: birthday, relative_birthday, …")
    days_before: int = Field(0, ge=0, le=60)
    approval: Approval = Approval.AUTOMATIC
    sender: int | None = Field(None, description="User id; null: each customer's owner.")
    survey: int | None = Field(None, description="Survey id: each message gets a link to it.")
    active: bool = True


class ProgramOut(Schema):
    id: int
    name: str
    kind: ProgramKind
    purpose: Purpose
    template: int = Field(alias="template_id")
    segment: int | None = Field(alias="segment_id")
    starts_at: dt.datetime
    recurrence: str
    rrule: str
    occasion_kind: str
    days_before: int
    approval: Approval
    sender: int | None = Field(alias="sender_id")
    survey: int | None = Field(alias="survey_id")
    active: bool
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None


class RunOut(Schema):
    created: int = Field(description="New messages (queued, or drafts to review).")


class DetailOut(Schema):
    detail: str


def _apply(program: Program, body: ProgramIn) -> Program:
    program.name = body.name
    program.kind = body.kind
    program.purpose = body.purpose
    program.template = get_object_or_404(Template, pk=body.template)
    program.segment = get_object_or_404(Segment, pk=body.segment) if body.segment else None
    if body.starts_at is not None:
        program.starts_at = body.starts_at
    program.recurrence = body.recurrence or ""
    program.rrule = body.rrule
    program.occasion_kind = body.occasion_kind
    program.days_before = body.days_before
    program.approval = body.approval
    program.sender_id = body.sender
    program.survey = get_object_or_404(Survey, pk=body.survey) if body.survey else None
    program.active = body.active
    return program


def _save(request: HttpRequest, program: Program) -> Program:
    # A ValidationError becomes the API's 422 with one entry per field (lifelong/api.py).
    return programs.save_program(program, by=request.user)


@router.get("/programs", response={200: list[ProgramOut], **CLIENT_ERRORS})
def program_list(request: HttpRequest) -> Any:
    return Program.objects.all()


@router.post("/programs", response={201: ProgramOut, **CLIENT_ERRORS})
def program_create(request: HttpRequest, body: ProgramIn) -> Any:
    _check_may_edit(request.user)
    return Status(201, _save(request, _apply(Program(), body)))


@router.get("/programs/{int:program_id}", response={200: ProgramOut, **CLIENT_ERRORS})
def program_get(request: HttpRequest, program_id: int) -> Any:
    return get_object_or_404(Program, pk=program_id)


@router.put("/programs/{int:program_id}", response={200: ProgramOut, **CLIENT_ERRORS})
def program_replace(request: HttpRequest, program_id: int, body: ProgramIn) -> Any:
    _check_may_edit(request.user)
    return _save(request, _apply(get_object_or_404(Program, pk=program_id), body))


@router.post("/programs/{int:program_id}/run", response={200: RunOut, **CLIENT_ERRORS})
def program_run(request: HttpRequest, program_id: int) -> Any:
    """Run the program now: its segment's messages (or today's greetings) go to the outbox."""
    _check_may_edit(request.user)
    program = get_object_or_404(Program.objects.select_related("template"), pk=program_id)
    return {"created": programs.run_now(program)}


def _act(request: HttpRequest, message_id: int, action: str) -> dict[str, str]:
    message: Message = _draft_for(request.user, message_id)
    if action == "approve":
        programs.approve(message, by=request.user)
        return {"detail": "Approved: it is queued to be sent."}
    programs.skip(message, by=request.user)
    return {"detail": "Skipped: it will not be sent."}


@router.post("/drafts/{int:message_id}/approve", response={200: DetailOut, **CLIENT_ERRORS})
def draft_approve(request: HttpRequest, message_id: int) -> Any:
    return _act(request, message_id, "approve")


@router.post("/drafts/{int:message_id}/skip", response={200: DetailOut, **CLIENT_ERRORS})
def draft_skip(request: HttpRequest, message_id: int) -> Any:
    return _act(request, message_id, "skip")
