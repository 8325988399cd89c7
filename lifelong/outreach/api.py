"""API for the outbox (messages, read-only) and the suppression list (owners and managers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from lifelong.accounts.access import require_manager
from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.ids import RowId
from lifelong.outreach import access, compliance, outbox
from lifelong.outreach.models import Message, MessageStatus, Suppression, SuppressionReason

router = Router(tags=["outreach"])


class MessageOut(Schema):
    id: int
    program: int
    customer: int
    occurrence: str
    status: MessageStatus
    to_address: str
    from_name: str
    subject: str
    message_id: str = Field(description="The email's Message-ID header.")
    send_after: dt.datetime
    attempts: int
    last_error: str = Field(description="Why it failed or was skipped; empty otherwise.")
    sent_at: dt.datetime | None
    touch: int | None = Field(description="The email touch logged when it was sent.")
    created_at: dt.datetime

    @staticmethod
    def resolve_program(obj: Message) -> int:
        return obj.program_id

    @staticmethod
    def resolve_customer(obj: Message) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_touch(obj: Message) -> int | None:
        return obj.touch_id


class MessageDetailOut(MessageOut):
    body_text: str
    body_html: str


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next (older) page; null on the last page."
    )


class MessageQuery(Schema):
    status: MessageStatus | None = None
    customer: RowId | None = Field(None, description="Only this customer's messages.")
    cursor: str = Field("", description="next_cursor from the previous page.")
    limit: int = Field(50, ge=1, le=200)


class SuppressionOut(Schema):
    id: int
    address: str = Field(description="Empty once the customer was erased (the hash stays).")
    reason: SuppressionReason
    note: str
    created_at: dt.datetime


class SuppressionPageOut(Schema):
    items: list[SuppressionOut]
    next_cursor: str | None


class SuppressionQuery(Schema):
    cursor: str = ""
    limit: int = Field(50, ge=1, le=200)


class SuppressionIn(Schema):
    address: str = Field(max_length=254)
    note: str = Field("", max_length=300)


@router.get("/messages", response={200: MessagePageOut, **CLIENT_ERRORS})
def message_list(request: HttpRequest, query: Query[MessageQuery]) -> dict[str, Any]:
    """Messages to the customers you may see, newest first, a page at a time."""
    qs = access.messages_visible_to(request.user)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.customer is not None:
        qs = qs.filter(customer_id=query.customer)
    page = outbox.id_page(qs, cursor=query.cursor, limit=query.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/messages/{int:message_id}", response={200: MessageDetailOut, **CLIENT_ERRORS})
def message_detail(request: HttpRequest, message_id: int) -> Message:
    return access.get_message_for_user(request.user, message_id)


@router.get("/suppressions", response={200: SuppressionPageOut, **CLIENT_ERRORS})
def suppression_list(request: HttpRequest, query: Query[SuppressionQuery]) -> dict[str, Any]:
    """The suppression list, newest first (owners and managers)."""
    require_manager(request.user, "manage the suppression list")
    page = outbox.id_page(Suppression.objects.all(), cursor=query.cursor, limit=query.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/suppressions", response={201: SuppressionOut, **CLIENT_ERRORS})
def suppression_create(request: HttpRequest, payload: SuppressionIn) -> Status:
    """Suppress an address by hand; an address already suppressed is returned as it is."""
    require_manager(request.user, "manage the suppression list")
    suppression = compliance.suppress(
        payload.address, SuppressionReason.MANUAL, note=payload.note or "Added through the API"
    )
    return Status(201, suppression)


@router.delete("/suppressions/{int:suppression_id}", response={204: None, **CLIENT_ERRORS})
def suppression_delete(request: HttpRequest, suppression_id: int) -> HttpResponse:
    require_manager(request.user, "manage the suppression list")
    compliance.remove_suppression(get_object_or_404(Suppression, pk=suppression_id))
    return HttpResponse(status=204)
