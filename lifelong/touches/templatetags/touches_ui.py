"""{% touch_panel customer %}: the quick log form and the timeline, for the customer page.

A template tag rather than an import keeps the customers app from depending on touches.
"""

from __future__ import annotations

from django import template

from lifelong.customers.models import Customer
from lifelong.touches import services
from lifelong.touches.forms import TouchForm

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


@register.inclusion_tag("touches/_panel.html", takes_context=True)
def touch_panel(context: template.Context, customer: Customer) -> dict:
    request = context["request"]
    before = request.GET.get("before")
    touches, more = services.timeline(customer, before=before)
    return {
        "customer": customer,
        "touches": touches,
        "more": more,
        "paged": bool(before),
        "form": TouchForm(),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def channel_mark(channel: str) -> str:
    """A one-character sign for a channel, for the timeline's round icons."""
    return CHANNEL_MARKS.get(channel, "•")
