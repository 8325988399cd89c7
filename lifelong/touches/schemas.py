"""The API's shapes for touches (django-ninja schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from lifelong.customers.schemas import UserRef
from lifelong.moments import UtcDatetime
from lifelong.touches.models import Channel, Direction


class TouchOut(Schema):
    id: int
    customer: int
    user: UserRef | None = Field(description="Who logged it; null for automatic touches.")
    channel: Channel
    direction: Direction
    occurred_at: dt.datetime
    summary: str
    outcome: str
    created_at: dt.datetime

    @staticmethod
    def resolve_customer(obj: Any) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_occurred_at(obj: Any) -> dt.datetime:
        # In UTC like every stored time, also when the client sent it with another offset.
        return obj.occurred_at.astimezone(dt.UTC)


class TouchPageOut(Schema):
    items: list[TouchOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next (older) page; null on the last page."
    )


class TouchQuery(Schema):
    cursor: str = Field("", description="next_cursor from the previous page.")
    limit: int = Field(50, ge=1, le=200)


class TouchIn(Schema):
    channel: Channel
    direction: Direction = Direction.OUTBOUND
    occurred_at: UtcDatetime | None = Field(
        None, description="With a time zone offset; now if omitted; never in the future."
    )
    summary: str
    outcome: str = ""


# The fields a client may change on a touch, by name: the handler copies exactly these.
TOUCH_FIELDS = ("channel", "direction", "occurred_at", "summary", "outcome")


class TouchPatch(Schema):
    channel: Channel | None = None
    direction: Direction | None = None
    occurred_at: UtcDatetime | None = None
    summary: str | None = None
    outcome: str | None = None

    @field_validator(*TOUCH_FIELDS)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class CoverageRowOut(Schema):
    customers: int = Field(description="Customers and former customers (not archived).")
    touched: int = Field(description="How many of them had a touch in the last 30 days.")
    share: float | None = Field(description="touched / customers; null when there are none.")


class OwnerCoverageOut(CoverageRowOut):
    owner: UserRef
    name: str = Field(description="The owner's full name, or username when it has none.")


class TierCoverageOut(CoverageRowOut):
    tier: str = Field(description='"A", "B", "C", or "" for customers without a tier yet.')


class MonthCoverageOut(Schema):
    month: str = Field(description="YYYY-MM in the business's time zone.")
    customers: int = Field(description="Customers and former customers created by month end.")
    touched: int = Field(description="How many of them had a touch during the month.")
    share: float | None
    partial: bool = Field(description="The current month, counted up to now.")


class CoverageOut(Schema):
    window_days: int
    since: dt.datetime = Field(description="The 30-day window's start (UTC); it ends now.")
    goal: float = Field(description="Everybody, every month: 1.0.")
    customers: int
    touched: int
    share: float | None
    by_owner: list[OwnerCoverageOut] = Field(description="Lowest share first.")
    by_tier: list[TierCoverageOut] = Field(description='A, B, C and "" (no tier yet), always.')
    months: list[MonthCoverageOut] = Field(description="The last 12 months, oldest first.")
