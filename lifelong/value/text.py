"""Money and plain sentences about a customer's value, for pages and panels."""

from __future__ import annotations

import math

from lifelong.customers.models import Customer
from lifelong.value.records import ValueSnapshot

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(value: float | None, currency: str = "", *, places: int = 0) -> str:
    """1240.4, "EUR" -> "€1,240"; currencies without a symbol here are written after:
    "1,240 SEK". Empty for None."""
    if value is None:
        return ""
    number = f"{float(value):,.{places}f}"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number} {currency}".strip()


def about(value: float) -> float:
    """Rounded to three significant digits (1,237.6 -> 1,240): "about" that much."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    digits = 2 - math.floor(math.log10(abs(value)))
    return round(value, min(digits, 0))


def percent(p: float) -> str:
    """A probability as a whole percentage, rounded down: 0.996 is "99%", never "100%"
    unless it is 1."""
    return f"{math.floor(p * 100 + 1e-9)}%"


def likelihood(p_alive: float) -> str:
    if p_alive >= 0.9:
        return "very likely still a customer"
    if p_alive >= 0.6:
        return "probably still a customer"
    if p_alive >= 0.3:
        return "perhaps still a customer"
    return "probably no longer buying"


def value_sentence(customer: Customer, snapshot: ValueSnapshot, currency: str) -> str:
    """One plain sentence on what the figures mean, e.g. "Anna is very likely still a
    customer (97%) and is expected to bring about €1,240 over the next two years"."""
    name = customer.first_name or customer.display_name
    if snapshot.p_alive is None or snapshot.clv_2y is None:
        times = "once" if snapshot.purchase_days == 1 else f"on {snapshot.purchase_days} days"
        return (
            f"{name} has bought {times}, {money(float(snapshot.revenue), currency)} in all; "
            "there is not yet enough purchase history to forecast."
        )
    return (
        f"{name} is {likelihood(snapshot.p_alive)} ({percent(snapshot.p_alive)}) and is expected "
        f"to bring about {money(about(snapshot.clv_2y), currency)} over the next two years."
    )
