"""Keep in touch: when each customer is next due for a contact.

Every customer and former customer should hear from the business at least every
FLOOR_DAYS days; the tier policy (settings.LIFELONG_VALUE["policies"]) may ask for more
often, and a per-customer override may too. Prospects and archived customers have no
cadence. Customer.next_due_at is stored and indexed so that due lists are cheap:

    next_due_at = max(last touch (or, never touched, when they were added) + interval,
                      snoozed until)

refresh_due() recomputes one customer (after a touch or an edit); recompute_due() does
a whole queryset in a few UPDATE statements (after a value refresh moved the tiers).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from lifelong.customers.models import Customer, Status

# The product's rule: nobody waits longer than this for a contact, whatever their tier.
FLOOR_DAYS = 30
# How each value tier is treated, unless settings.LIFELONG_VALUE["policies"] says otherwise:
# the longest gap between contacts, and whether extras ("do a bit more") may be given.
DEFAULT_POLICIES: dict[str, dict] = {
    "A": {"contact_every_days": 14, "extras_allowed": True},
    "B": {"contact_every_days": 30, "extras_allowed": True},
    "C": {"contact_every_days": 30, "extras_allowed": False},
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def tier_interval(tier: str | None) -> int:
    """Days between contacts that `tier`'s policy asks for, never more than the floor."""
    if not tier:
        return FLOOR_DAYS
    policies = getattr(settings, "LIFELONG_VALUE", {}).get("policies", DEFAULT_POLICIES)
    days = int(policies.get(tier, {}).get("contact_every_days", FLOOR_DAYS))
    return max(1, min(days, FLOOR_DAYS))


def interval_days(customer: Customer) -> int | None:
    """The customer's keep-in-touch interval in days; None when they have no cadence."""
    if customer.status == Status.PROSPECT or customer.archived_at is not None:
        return None
    if customer.contact_every_days:
        return max(1, min(customer.contact_every_days, FLOOR_DAYS))
    return tier_interval(customer.tier or None)


def compute_due(customer: Customer) -> dt.datetime | None:
    days = interval_days(customer)
    if days is None:
        return None
    since = customer.last_touched_at or customer.created_at
    due = since + dt.timedelta(days=days)
    if customer.contact_snoozed_until and customer.contact_snoozed_until > due:
        due = customer.contact_snoozed_until
    return due


def refresh_due(customer: Customer) -> None:
    """Store the customer's next_due_at from their current fields."""
    customer.next_due_at = compute_due(customer)
    Customer.objects.filter(pk=customer.pk).update(next_due_at=customer.next_due_at)


def recompute_due(customers: QuerySet[Customer] | None = None) -> None:
    """Recompute next_due_at for `customers` (default: everybody) in SQL.

    One UPDATE per distinct interval: the overrides in use, then each tier.
    """
    qs = Customer.objects.all() if customers is None else customers
    qs.filter(Q(status=Status.PROSPECT) | Q(archived_at__isnull=False)).update(next_due_at=None)
    active = qs.exclude(status=Status.PROSPECT).filter(archived_at__isnull=True)

    def set_due(rows: QuerySet[Customer], days: int) -> None:
        start = Coalesce(F("last_touched_at"), F("created_at")) + Value(dt.timedelta(days=days))
        snoozed = Coalesce(F("contact_snoozed_until"), Value(_EPOCH))
        rows.update(next_due_at=Greatest(start, snoozed))

    overrides = (
        active.filter(contact_every_days__isnull=False)
        .values_list("contact_every_days", flat=True)
        .distinct()
        .order_by()
    )
    for days in list(overrides):
        set_due(active.filter(contact_every_days=days), max(1, min(days, FLOOR_DAYS)))
    policy = active.filter(contact_every_days__isnull=True)
    tiers = list(policy.values_list("tier", flat=True).distinct().order_by())
    for tier in tiers:
        set_due(policy.filter(tier=tier), tier_interval(tier or None))


def snooze(customer: Customer, until: dt.datetime) -> None:
    """Hold the customer's contact back until `until` (a touch before then clears it)."""
    customer.contact_snoozed_until = until
    Customer.objects.filter(pk=customer.pk).update(contact_snoozed_until=until)
    refresh_due(customer)


def skip_cycle(customer: Customer) -> None:
    """Dismiss this contact: the next one falls a full interval from now."""
    days = interval_days(customer)
    if days is not None:
        snooze(customer, timezone.now() + dt.timedelta(days=days))


def clear_snooze(customer: Customer) -> None:
    if customer.contact_snoozed_until is not None:
        customer.contact_snoozed_until = None
        Customer.objects.filter(pk=customer.pk).update(contact_snoozed_until=None)
