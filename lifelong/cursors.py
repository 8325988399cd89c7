"""Opaque cursors for keyset pagination: the sort key of the last row shown, as URL-safe text."""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Q, QuerySet

T = TypeVar("T")


class BadCursor(ValueError):
    """A cursor this code did not make (edited, truncated, or from another list)."""

    def __init__(self) -> None:
        super().__init__("The page cursor is not valid; start again from the first page.")


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list:
    """The list of `length` values `encode_cursor` made; BadCursor for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor from None
    if not isinstance(values, list) or len(values) != length:
        raise BadCursor
    return values


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def newest_first(
    qs: QuerySet[T], *, cursor: str = "", limit: int = 50, field: str = "occurred_at"
) -> Page[T]:
    """A page of `qs` by `field` (a moment; a name from code, never from a request) then
    id, newest first, after `cursor` (from a previous page); an index on (…, field, id)
    serves it. BadCursor for a cursor not made here.

    The cursor carries the last row's (field, id), so a page boundary survives that row
    being deleted or moved, and rows arriving meanwhile never shift or repeat others.
    """
    qs = qs.order_by(f"-{field}", "-id")
    if cursor:
        when, pk = decode_cursor(cursor, 2)
        try:
            when = dt.datetime.fromisoformat(when)
        except (TypeError, ValueError):
            raise BadCursor from None
        if not isinstance(pk, int) or when.tzinfo is None:
            raise BadCursor
        # The redundant `<=` bound lets SQLite seek into the index instead of scanning it.
        before = Q(**{f"{field}__lt": when}) | Q(**{field: when, "id__lt": pk})
        qs = qs.filter(Q(**{f"{field}__lte": when}) & before)
    items = list(qs[: limit + 1])
    if len(items) <= limit:
        return Page(items, None)
    last = items[limit - 1]
    return Page(items[:limit], encode_cursor([getattr(last, field).isoformat(), last.pk]))
