"""Opaque cursors for keyset pagination: the sort key of the last row shown, as URL-safe text."""

import base64
import binascii
import json


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
