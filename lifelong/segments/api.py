"""Segments in the REST API: saved filters, and live counts for saved and unsaved ones.

Everybody may read segments and count them (a rep counts only their own customers);
owners and managers create, change and delete them (403 otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifelong.customers.schemas import CLIENT_ERRORS, ErrorOut
from lifelong.segments import services
from lifelong.segments.filters import FilterSpec
from lifelong.segments.models import Segment

router = Router(tags=["segments"])


class SegmentIn(Schema):
    name: str = Field(max_length=200)
    filters: FilterSpec = Field(default_factory=FilterSpec)


class SegmentPatch(Schema):
    name: str | None = Field(None, max_length=200)
    filters: FilterSpec | None = Field(
        None, description="The whole filter spec; it replaces the stored one."
    )


class SegmentOut(Schema):
    id: int
    name: str
    filters: dict[str, Any] = Field(description="Only the filters that are set.")
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: dt.datetime
    updated_at: dt.datetime


class CountOut(Schema):
    count: int = Field(description="Matching customers the caller may see, now.")


@router.get("/segments", response={200: list[SegmentOut], **CLIENT_ERRORS})
def segment_list(request: HttpRequest) -> Any:
    """Every segment, by name."""
    return Segment.objects.all()


@router.post("/segments", response={201: SegmentOut, **CLIENT_ERRORS})
def segment_create(request: HttpRequest, payload: SegmentIn) -> Status:
    services.check_may_edit(request.user)
    segment = services.save_segment(
        Segment(), name=payload.name, filters=payload.filters, by=request.user
    )
    return Status(201, segment)


@router.post("/segments/count", response={200: CountOut, **CLIENT_ERRORS})
def segment_count_unsaved(request: HttpRequest, payload: FilterSpec) -> dict[str, int]:
    """How many customers a filter spec matches, without saving it (the editor's live count)."""
    return {"count": services.count(payload, visible_to=request.user)}


@router.get("/segments/{int:segment_id}", response={200: SegmentOut, **CLIENT_ERRORS})
def segment_detail(request: HttpRequest, segment_id: int) -> Segment:
    return get_object_or_404(Segment, pk=segment_id)


@router.patch("/segments/{int:segment_id}", response={200: SegmentOut, **CLIENT_ERRORS})
def segment_update(request: HttpRequest, segment_id: int, payload: SegmentPatch) -> Segment:
    services.check_may_edit(request.user)
    segment = get_object_or_404(Segment, pk=segment_id)
    filters = payload.filters if payload.filters is not None else services.spec_of(segment)
    name = payload.name if payload.name is not None else segment.name
    return services.save_segment(segment, name=name, filters=filters, by=request.user)


@router.delete("/segments/{int:segment_id}", response={204: None, 409: ErrorOut, **CLIENT_ERRORS})
def segment_delete(request: HttpRequest, segment_id: int) -> Any:
    """Delete a segment; 409 while a program sends to it."""
    services.check_may_edit(request.user)
    segment = get_object_or_404(Segment, pk=segment_id)
    try:
        services.delete_segment(segment)
    except services.SegmentInUse as e:
        return Status(409, {"detail": str(e)})
    return HttpResponse(status=204)


@router.get("/segments/{int:segment_id}/count", response={200: CountOut, **CLIENT_ERRORS})
def segment_count(request: HttpRequest, segment_id: int) -> dict[str, int]:
    """How many of the segment's customers the caller may see, now."""
    segment = get_object_or_404(Segment, pk=segment_id)
    return {"count": services.members(segment, visible_to=request.user).count()}
