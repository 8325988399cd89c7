"""A customer's timeline in pages: newest first, with an opaque cursor.

The cursor carries the last row's (occurred_at, id) rather than its id alone, so a
page boundary survives that touch being deleted or moved; the touch_customer_timeline
index serves every page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from lifelong.cursors import BadCursor, decode_cursor, encode_cursor
from lifelong.customers.models import Customer
from lifelong.touches.models import Touch


@dataclass
class TouchPage:
    items: list[Touch]
    next_cursor: str | None


def touch_page(customer: Customer, *, cursor: str = "", limit: int = 50) -> TouchPage:
    """One page of the customer's touches, newest first, after `cursor` (from a previous page).

    Raises BadCursor when the cursor was not made by this function.
    """
    qs = customer.touches.select_related("user").order_by("-occurred_at", "-id")
    if cursor:
        when, pk = decode_cursor(cursor, 2)
        try:
            when = dt.datetime.fromisoformat(when)
        except (TypeError, ValueError):
            raise BadCursor from None
        if not isinstance(pk, int) or when.tzinfo is None:
            raise BadCursor
        qs = qs.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, id__lt=pk))
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    last = items[-1] if more and items else None
    return TouchPage(
        items, encode_cursor([last.occurred_at.isoformat(), last.pk]) if last else None
    )
