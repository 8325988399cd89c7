"""A customer's touches in pages for API clients: newest first, with an opaque cursor.

The cursor carries the last row's (occurred_at, id) rather than its id alone, so a
page boundary survives that touch being deleted or moved; the touch_customer_timeline
index serves every page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q

from lifelong.customers.listing import BadCursor
from lifelong.customers.models import Customer
from lifelong.touches.models import Touch

_BAD = "The page cursor is not valid; start again from the first page."


@dataclass
class TouchPage:
    items: list[Touch]
    next_cursor: str | None


def _encode(touch: Touch) -> str:
    raw = json.dumps([touch.occurred_at.isoformat(), touch.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = dt.datetime.fromisoformat(when)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadCursor(_BAD) from None
    if not isinstance(pk, int) or when.tzinfo is None:
        raise BadCursor(_BAD)
    return when, pk


def touch_page(customer: Customer, *, cursor: str = "", limit: int = 50) -> TouchPage:
    """One page of the customer's touches, newest first, after `cursor` (from a previous page).

    Raises BadCursor when the cursor was not made by this function.
    """
    qs = customer.touches.select_related("user").order_by("-occurred_at", "-id")
    if cursor:
        when, pk = _decode(cursor)
        qs = qs.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, id__lt=pk))
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return TouchPage(items, _encode(items[-1]) if more and items else None)
