"""Template filters for the timeline."""

from __future__ import annotations

from django import template

register = template.Library()

CHANNEL_MARKS = {
    "call": "☎",
    "email": "@",
    "meeting": "◎",
    "visit": "⌂",
    "letter": "✉",
    "text": "✆",
    "gift": "♥",
    "event": "★",
    "other": "•",
}


@register.filter
def channel_mark(channel: str) -> str:
    """A one-character sign for a channel, for the timeline's round icons."""
    return CHANNEL_MARKS.get(channel, "•")
