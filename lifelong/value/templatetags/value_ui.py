"""Template filters for the Value pages: money in the business's currency, percentages."""

from __future__ import annotations

from django import template

from lifelong.value import text

register = template.Library()


@register.filter
def amount(value: float | None, currency: str = "") -> str:
    """1240.4|amount:"EUR" -> "€1,240" (whole units)."""
    return text.money(value, currency)


@register.filter
def pct(value: float | None) -> str:
    """A share: 0.634 -> "63%"."""
    return "" if value is None else f"{float(value):.0%}"


@register.filter
def chance(value: float | None) -> str:
    """A probability, rounded down so that 0.996 is "99%" (see text.percent)."""
    return "" if value is None else text.percent(float(value))
