"""API for events: list, detail, create; invite a segment (or the suggestion); the RSVPs;
attendance. Owners and managers see every event and create and invite; a rep sees the
events their customers are invited to, and only those customers' invitations. An event
the user may not see is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.events import access, services
from lifelong.events.models import Event, Invitation, Kind, Rsvp
from lifelong.ids import Count
from lifelong.moments import UtcDatetime
from lifelong.segments.models import Segment

router = Router(tags=["events"])

EVENT = "/events/{int:event_id}"


class CountsOut(Schema):
    invited: int
    yes: int = Field(description="Holding a place.")
    no: int
    maybe: int
    none: int = Field(description="No answer yet.")
    waitlist: int
    attended: int


class EventOut(Schema):
    id: int
    name: str
    kind: Kind
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    capacity: int | None = Field(description="Null: no limit.")
    description: str
    program_id: int | None = Field(description="The program its invitations go out through.")
    counts: CountsOut = Field(description="Over the invitations you may see.")


class EventIn(Schema):
    name: str = Field(max_length=200)
    kind: Kind = Kind.OPEN_HOUSE
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    place: str = Field("", max_length=300)
    capacity: Count | None = None
    description: str = ""


class InviteIn(Schema):
    segment_id: int | None = Field(
        None, description="Whom to invite; null: the suggestion (tier A, not invited lately)."
    )


class InviteOut(Schema):
    invited: int
    already: int
    queued: int


class InvitationOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    invited_at: dt.datetime
    rsvp: Rsvp
    rsvp_at: dt.datetime | None
    waitlisted: bool
    attended: bool | None
    message_id: int | None

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return obj.customer.display_name


class AttendanceIn(Schema):
    attended: list[int] = Field(description="Customer ids who came; the others did not.")


class AttendanceOut(Schema):
    came: int
    touches_added: int


def _out(request: HttpRequest, event: Event) -> dict[str, Any]:
    data = {f: getattr(event, f) for f in EventIn.model_fields}
    data["id"], data["program_id"] = event.pk, event.program_id
    data["counts"] = services.counts_of(access.invitations_visible_to(request.user, event))
    return data


@router.get("/events", response={200: list[EventOut], **CLIENT_ERRORS})
def event_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The events you may see, latest first."""
    return [_out(request, e) for e in access.events_visible_to(request.user)[:500]]


@router.post("/events", response={201: EventOut, **CLIENT_ERRORS})
def event_create(request: HttpRequest, payload: EventIn) -> Status:
    services.check_may_edit(request.user)
    event = services.save_event(Event(**payload.dict()), by=request.user)
    return Status(201, _out(request, event))


@router.get(EVENT, response={200: EventOut, **CLIENT_ERRORS})
def event_detail(request: HttpRequest, event_id: int) -> dict[str, Any]:
    return _out(request, access.get_event_for_user(request.user, event_id))


@router.post(f"{EVENT}/invite", response={200: InviteOut, **CLIENT_ERRORS})
def event_invite(request: HttpRequest, event_id: int, payload: InviteIn) -> dict[str, Any]:
    """Invite a segment's customers (or the suggestion); each gets an email with a
    calendar invitation and an RSVP link. Those invited before are left as they are."""
    event = access.get_event_for_user(request.user, event_id)
    services.check_may_edit(request.user)
    if payload.segment_id is None:
        customers = services.suggested_customers()
    else:
        customers = services.segment_customers(get_object_or_404(Segment, pk=payload.segment_id))
    result = services.invite(event, customers, by=request.user)
    return vars(result)


@router.get(f"{EVENT}/invitations", response={200: list[InvitationOut], **CLIENT_ERRORS})
def event_rsvps(request: HttpRequest, event_id: int) -> list[Invitation]:
    """The invitations to the customers you may see, with their answers."""
    event = access.get_event_for_user(request.user, event_id)
    return list(access.invitations_visible_to(request.user, event))


@router.post(f"{EVENT}/attendance", response={200: AttendanceOut, **CLIENT_ERRORS})
def event_attendance(request: HttpRequest, event_id: int, payload: AttendanceIn) -> dict:
    """Who came, of the invitations you may see; each gets an event touch (once)."""
    event = access.get_event_for_user(request.user, event_id)
    invitations = access.invitations_visible_to(request.user, event)
    came, added = services.record_attendance(
        event, invitations, set(payload.attended), by=request.user
    )
    return {"came": came, "touches_added": added}
