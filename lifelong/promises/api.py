"""API for the promise ledger: a customer's promises, one promise and what can happen to
it (keep, break, renegotiate), and the kept-rate per owner and by month.

Every promise is reached through its customer (promises.access): somebody else's is a
404 like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from lifelong.accounts.models import User
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS, UserRef
from lifelong.ids import RowId
from lifelong.moments import UtcDatetime
from lifelong.outreach.outbox import id_page
from lifelong.promises import services
from lifelong.promises.access import get_promise_for_user, promises_visible_to
from lifelong.promises.models import Promise, Source
from lifelong.promises.models import Status as PromiseStatus
from lifelong.touches.models import Channel

router = Router(tags=["promises"])

# Inline rather than a component: ninja files enums under their class name, and the
# customer's status is also called Status (one would overwrite the other in the document).
PromiseStatusField = Annotated[
    PromiseStatus,
    WithJsonSchema({"title": "PromiseStatus", "type": "string", "enum": PromiseStatus.values}),
]

PROMISES = "/customers/{int:customer_id}/promises"
PROMISE = "/promises/{int:promise_id}"


class PromiseOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    owner: UserRef | None
    what: str
    due_on: dt.date | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    deadline: dt.datetime | None = Field(description="The last moment it is kept on time.")
    status: PromiseStatusField
    overdue: bool = Field(description="Open and past its deadline (derived, never stored).")
    kept_at: dt.datetime | None
    broken_at: dt.datetime | None
    broken_reason: str
    renegotiated_to: int | None = Field(description="The promise that replaced this one.")
    source: Source
    touch_id: int | None
    purchase_id: int | None
    notify_customer: bool
    created_by: UserRef | None
    created_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return obj.customer.display_name

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return services.is_overdue(obj)

    @staticmethod
    def resolve_renegotiated_to(obj: Any) -> int | None:
        return obj.renegotiated_to_id


class PromisePageOut(Schema):
    items: list[PromiseOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


StatusFilter = Literal["open", "overdue", "kept", "kept_late", "broken", "renegotiated", "any"]


class PromiseQuery(Schema):
    status: StatusFilter = Field("any", description="open, overdue, a status, or any.")
    cursor: str = Field("", description="next_cursor from the previous page.")
    limit: int = Field(50, ge=1, le=200)


class MineQuery(PromiseQuery):
    mine: bool = Field(True, description="Only the promises you own (false: all you may see).")
    due: bool = Field(False, description="Only those due within the reminder days or overdue.")


class PromiseIn(Schema):
    what: str
    due_on: dt.date | None = Field(None, description="A day; or give window_start/window_end.")
    window_start: UtcDatetime | None = None
    window_end: UtcDatetime | None = None
    owner_id: int | None = Field(None, description="Who keeps it (default: you).")
    notify_customer: bool = False
    touch_id: int | None = Field(None, description="The customer's touch it was made in.")
    purchase_id: int | None = Field(None, description="The customer's order it is about.")


class KeepIn(Schema):
    kept_at: UtcDatetime | None = Field(None, description="Default: now.")
    channel: Channel | None = Field(
        None, description="How the customer heard; logs a touch. Null: no touch."
    )
    note: str = Field("", max_length=500)


class BreakIn(Schema):
    reason: str = Field(max_length=2000)


class RenegotiateIn(Schema):
    due_on: dt.date | None = None
    window_start: UtcDatetime | None = None
    window_end: UtcDatetime | None = None
    what: str | None = Field(None, description="A new wording; default: unchanged.")


class RateOut(Schema):
    kept: int
    kept_late: int
    broken: int
    decided: int
    rate: float | None = Field(description="(kept + kept_late) / decided; null if none.")


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM, business time zone.")
    rate: RateOut


class OwnerRateOut(Schema):
    owner_id: int | None
    owner_name: str
    total: RateOut
    months: list[MonthOut]


class KeptRateOut(Schema):
    total: RateOut
    months: list[MonthOut]
    owners: list[OwnerRateOut]


def _filter(promises, status: str):
    if status == "overdue":
        return promises.filter(services.overdue_q())
    if status != "any":
        return promises.filter(status=status)
    return promises


def _page(promises, query: PromiseQuery) -> dict[str, Any]:
    qs = _filter(promises, query.status).select_related("customer", "owner", "created_by")
    page = id_page(qs, cursor=query.cursor, limit=query.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(PROMISES, response={200: PromisePageOut, **CLIENT_ERRORS})
def promise_list(
    request: HttpRequest, customer_id: int, query: Query[PromiseQuery]
) -> dict[str, Any]:
    """The customer's promises, newest first, a page at a time."""
    customer = get_customer_for_user(request.user, customer_id)
    return _page(promises_visible_to(request.user).filter(customer=customer), query)


@router.post(PROMISES, response={201: PromiseOut, **CLIENT_ERRORS})
def promise_create(request: HttpRequest, customer_id: int, payload: PromiseIn) -> Status:
    """Make a promise; with notify_customer the customer is emailed (once)."""
    customer = get_customer_for_user(request.user, customer_id)
    owner = request.user
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id).first()
    touch = purchase = None
    if payload.touch_id is not None:
        touch = customer.touches.filter(pk=payload.touch_id).first()
        if touch is None:
            return _field_error("touch_id", "The customer has no touch with that id.")
    if payload.purchase_id is not None:
        purchase = customer.purchases.filter(pk=payload.purchase_id).first()
        if purchase is None:
            return _field_error("purchase_id", "The customer has no purchase with that id.")
    promise = services.make_promise(
        customer,
        what=payload.what,
        owner=owner,
        by=request.user,
        due_on=payload.due_on,
        window_start=payload.window_start,
        window_end=payload.window_end,
        notify_customer=payload.notify_customer,
        touch=touch,
        purchase=purchase,
    )
    # Read back, so that every time is in UTC whatever offset the client sent.
    return Status(201, get_promise_for_user(request.user, promise.pk))


def _field_error(field: str, message: str) -> Status:
    return Status(422, {"detail": [{"field": field, "message": message}]})


@router.get("/promises", response={200: PromisePageOut, **CLIENT_ERRORS})
def my_promises(request: HttpRequest, query: Query[MineQuery]) -> dict[str, Any]:
    """Your promises (or with mine=false all you may see), newest first; due=true: only
    those due within the reminder days and the overdue ones."""
    promises = promises_visible_to(request.user)
    if query.mine:
        promises = promises.filter(owner=request.user)
    if query.due:
        promises = promises.filter(services.due_within_q(services.remind_days()))
    return _page(promises, query)


@router.get("/promises/kept-rate", response={200: KeptRateOut, **CLIENT_ERRORS})
def kept_rate(
    request: HttpRequest, customer_id: int | None = None, owner_id: RowId | None = None
) -> dict[str, Any]:
    """The kept-rate over the promises you may see (or one customer's, or one owner's):
    in total, by month for the last 12 months, and per owner."""
    promises = promises_visible_to(request.user)
    if customer_id is not None:
        promises = promises.filter(customer=get_customer_for_user(request.user, customer_id))
    if owner_id is not None:
        promises = promises.filter(owner_id=owner_id)
    now = timezone.now()

    def months(ms: list[services.Month]) -> list[dict[str, Any]]:
        return [{"month": f"{m.start:%Y-%m}", "rate": m.rate.as_dict()} for m in ms]

    return {
        "total": services.kept_rate(promises).as_dict(),
        "months": months(services.kept_rate_by_month(promises, now=now)),
        "owners": [
            {
                "owner_id": r.owner_id,
                "owner_name": r.owner_name,
                "total": r.total.as_dict(),
                "months": months(r.months),
            }
            for r in services.kept_rate_by_owner(promises, now=now)
        ],
    }


@router.get(PROMISE, response={200: PromiseOut, **CLIENT_ERRORS})
def promise_detail(request: HttpRequest, promise_id: int) -> Promise:
    return get_promise_for_user(request.user, promise_id)


@router.post(PROMISE + "/keep", response={200: PromiseOut, **CLIENT_ERRORS})
def promise_keep(request: HttpRequest, promise_id: int, payload: KeepIn) -> Promise:
    """Kept or kept late (by kept_at against the deadline); a channel logs the touch."""
    promise = get_promise_for_user(request.user, promise_id)
    services.keep(
        promise, by=request.user, at=payload.kept_at, channel=payload.channel, note=payload.note
    )
    return get_promise_for_user(request.user, promise_id)


@router.post(PROMISE + "/break", response={200: PromiseOut, **CLIENT_ERRORS})
def promise_break(request: HttpRequest, promise_id: int, payload: BreakIn) -> Promise:
    """Broken, with the reason; an apology goes on the owner's agenda."""
    promise = get_promise_for_user(request.user, promise_id)
    return services.break_promise(promise, by=request.user, reason=payload.reason)


@router.post(PROMISE + "/renegotiate", response={201: PromiseOut, **CLIENT_ERRORS})
def promise_renegotiate(request: HttpRequest, promise_id: int, payload: RenegotiateIn) -> Status:
    """A new date: returns the new open promise; the old one is renegotiated and points
    to it (renegotiated_to)."""
    promise = get_promise_for_user(request.user, promise_id)
    new = services.renegotiate(
        promise,
        by=request.user,
        due_on=payload.due_on,
        window_start=payload.window_start,
        window_end=payload.window_end,
        what=payload.what,
    )
    return Status(201, get_promise_for_user(request.user, new.pk))
