"""Template filters for money and purchases."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value: Decimal | int | None) -> str:
    """1234.5 -> "1,234.50": two places and thousands marks, never rounded through a float."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"
