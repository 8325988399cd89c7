"""API for the agenda: today's ranked items, the week ahead, and the item actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from lifelong.agenda import services
from lifelong.customers.schemas import CLIENT_ERRORS

router = Router(tags=["agenda"])


class ItemOut(Schema):
    kind: str = Field(description='"contact", "occasion", …')
    key: str = Field(description="Identifies the item for POST /agenda/actions.")
    customer_id: int
    customer_name: str
    tier: str = Field(description='"A", "B", "C", or "" before the first value refresh.')
    value_rank: int = Field(description="Decile of projected value, 10 = the top tenth.")
    due_date: dt.date
    title: str
    reason: str = Field(description="Why it is on the agenda, in plain words.")
    score: float = Field(description="value_rank plus lateness in (0, 1): higher comes first.")
    owner: str
    extra: dict[str, Any]


class AgendaQuery(Schema):
    """The agenda of the customers the caller owns, or with `everyone` all they may see."""

    date: dt.date | None = Field(None, description="The day (default: the business's today).")
    limit: int = Field(50, ge=1, le=500)
    everyone: bool = Field(False, description="Owners and managers: the whole business.")


class DayOut(Schema):
    date: dt.date
    items: list[ItemOut]
    more: bool = Field(description="More items fall on this day than were returned.")


class ActionIn(Schema):
    key: str
    action: Literal["done", "snooze", "dismiss"]
    days: int = Field(1, ge=1, le=30, description="For snooze.")
    channel: str = Field("call", description="For done: how the contact was made.")
    note: str = Field("", max_length=500, description="For done: the touch's summary.")


class ActionOut(Schema):
    detail: str


def _check(request: HttpRequest, everyone: bool) -> None:
    if everyone and not request.user.sees_all_customers:
        raise HttpError(403, "Only owners and managers see everybody's agenda.")


@router.get("/agenda", response={200: list[ItemOut], **CLIENT_ERRORS})
def agenda(request: HttpRequest, query: Query[AgendaQuery]) -> list[dict[str, Any]]:
    """Today's items, best first: contacts due and overdue, occasions within their lead time."""
    _check(request, query.everyone)
    items = services.agenda(request.user, query.date, limit=query.limit, everyone=query.everyone)
    return [i.as_json() for i in items]


@router.get("/agenda/week", response={200: list[DayOut], **CLIENT_ERRORS})
def week(request: HttpRequest, everyone: bool = False) -> list[dict[str, Any]]:
    """The next seven days, each with the items that fall due on it (today: and earlier)."""
    _check(request, everyone)
    plan = services.week(request.user, everyone=everyone)
    return [
        {"date": day, "items": [i.as_json() for i in items], "more": more}
        for day, items, more in plan
    ]


@router.post("/agenda/actions", response={200: ActionOut, **CLIENT_ERRORS})
def act(request: HttpRequest, body: ActionIn) -> dict[str, str]:
    """Mark an item done (logs a touch), snooze it for `days`, or dismiss this occurrence."""
    try:
        said = services.act(
            request.user,
            body.key,
            body.action,
            days=body.days,
            channel=body.channel,
            note=body.note,
        )
    except ValueError as e:
        raise HttpError(400, str(e)) from None
    return {"detail": said}
