"""Small presentation filters shared by every app's templates."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def initials(name: str) -> str:
    """Up to two initials: 'Anna Berg' -> 'AB', 'Berg Bygg AB' -> 'BB'."""
    words = [w for w in str(name).split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


@register.filter
def phone(number: str) -> str:
    """An E.164 number in its international form: +46701234567 -> +46 70 123 45 67."""
    try:
        parsed = phonenumbers.parse(str(number), None)
    except phonenumbers.NumberParseException:
        return str(number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def ago(value: dt.datetime | None) -> str:
    """How long ago, in its largest unit only: '3 months ago', 'today'."""
    if value is None:
        return ""
    if timezone.now() - value < dt.timedelta(days=1):
        return "today"
    return f"{timesince(value, depth=1)} ago"


@register.filter
def due(value: dt.datetime | None) -> str:
    """When a contact falls due, in days: 'today', 'in 12 days', '3 days overdue'."""
    if value is None:
        return ""
    from lifelong.accounts.models import Business

    business = Business.get()
    days = (value.astimezone(business.tzinfo).date() - business.today()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "1 day overdue" if days == -1 else f"{-days} days overdue"


@register.filter
def contact_interval(customer) -> str:
    """'every 14 days (tier A)': the customer's keep-in-touch interval and where it comes from."""
    from lifelong.customers.cadence import interval_days

    days = interval_days(customer)
    if days is None:
        return "no cadence"
    if customer.contact_every_days:
        return f"every {days} days (set for this customer)"
    return f"every {days} days" + (f" (tier {customer.tier})" if customer.tier else "")
