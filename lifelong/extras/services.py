"""Do a bit more: suggest an extra when a regular customer places a big order, give it,
decline it, and weigh what the extras cost against what those customers did next.

suggest_for(purchase) runs when an order is recorded one by one (a post_save signal on
commerce.Purchase, connected in ExtrasConfig.ready). Bulk imports use bulk_create, which
sends no signal: suggestions are for orders as they come in, not for years of history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer
from lifelong.extras.models import (
    Extra,
    ExtraGiven,
    ExtraRule,
    ExtraSuggestion,
    SuggestionStatus,
)
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch
from lifelong.value.records import ValueSnapshot
from lifelong.value.services import tier_policy

DEFAULTS = {"window_days": 90}


def extras_settings() -> dict:
    """settings.LIFELONG_EXTRAS over DEFAULTS."""
    return {**DEFAULTS, **getattr(settings, "LIFELONG_EXTRAS", {})}


@dataclass(frozen=True)
class Match:
    rule: ExtraRule
    multiple: float | None


def history(purchase: Purchase) -> tuple[int, Decimal | None]:
    """(orders of the customer up to and including `purchase`, the average total of their
    orders before it, None without any)."""
    earlier = Purchase.objects.filter(customer_id=purchase.customer_id).exclude(pk=purchase.pk)
    earlier = earlier.filter(occurred_at__lte=purchase.occurred_at)
    row = earlier.aggregate(n=Count("pk"), avg=Avg("total"))
    return row["n"] + 1, row["avg"]


def rule_matches(
    rule: ExtraRule, tier: str, count: int, total: Decimal, average: Decimal | None
) -> Match | None:
    """Whether `rule` fires for an order of `total` by a customer in `tier` with `count`
    orders (this one included) and `average` over the earlier ones. Exactly K times the
    average fires; so does exactly N orders."""
    regular = []
    if rule.min_purchases is not None:
        regular.append(count >= rule.min_purchases)
    if rule.tier_in:
        regular.append(tier in rule.tier_in)
    if regular and not any(regular):
        return None
    multiple = float(total / average) if average else None
    if rule.order_multiple is not None and (
        not average or total < rule.order_multiple * Decimal(average)
    ):
        return None
    return Match(rule, multiple)


def recently_suggested(customer_id: int, now: dt.datetime) -> bool:
    """A suggestion made, or an extra given, within the window."""
    since = now - dt.timedelta(days=extras_settings()["window_days"])
    return (
        ExtraSuggestion.objects.filter(customer_id=customer_id, created_at__gt=since).exists()
        or ExtraGiven.objects.filter(customer_id=customer_id, given_at__gt=since).exists()
    )


def suggest_for(purchase: Purchase, now: dt.datetime | None = None) -> ExtraSuggestion | None:
    """At most one suggestion for this order: the first active rule (by id) that fires,
    if the customer's tier policy allows extras and nothing was suggested or given to them
    within LIFELONG_EXTRAS["window_days"]."""
    now = now or timezone.now()
    customer = Customer.objects.only("tier").get(pk=purchase.customer_id)
    if not tier_policy(customer.tier or None).extras_allowed:
        return None
    rules = list(ExtraRule.objects.filter(active=True, extra__active=True).select_related("extra"))
    if not rules or recently_suggested(customer.pk, now):
        return None
    count, average = history(purchase)
    for rule in rules:
        match = rule_matches(rule, customer.tier, count, purchase.total, average)
        if match:
            return ExtraSuggestion.objects.create(
                customer_id=customer.pk, rule=rule, purchase=purchase,
                multiple=match.multiple, created_at=now,
            )  # fmt: skip
    return None


@transaction.atomic
def give(
    customer: Customer,
    extra: Extra,
    *,
    by: User | None,
    note: str = "",
    purchase: Purchase | None = None,
    suggestion: ExtraSuggestion | None = None,
    when: dt.datetime | None = None,
) -> ExtraGiven:
    """Record an extra given (its cost copied), log it as a gift touch, and close the
    suggestion it answers."""
    given = ExtraGiven.objects.create(
        customer=customer, extra=extra, cost=extra.cost, given_at=when or timezone.now(),
        given_by=by, note=note.strip()[:500], purchase=purchase,
    )  # fmt: skip
    log_touch(
        customer, user=by, channel=Channel.GIFT,
        summary=f"Gave an extra: {extra.name}" + (f" ({note.strip()})" if note.strip() else ""),
        occurred_at=given.given_at,
    )  # fmt: skip
    if suggestion is not None:
        suggestion.status = SuggestionStatus.GIVEN
        suggestion.given = given
        suggestion.save(update_fields=["status", "given"])
    return given


def decline(suggestion: ExtraSuggestion) -> None:
    suggestion.status = SuggestionStatus.DECLINED
    suggestion.save(update_fields=["status"])


def given_to(customers: QuerySet[Customer]) -> QuerySet[ExtraGiven]:
    return ExtraGiven.objects.filter(customer__in=customers.order_by().values("pk"))


# ---------------------------------------------------------------- report


@dataclass(frozen=True)
class TierComparison:
    tier: str
    with_extras: int
    avg_clv_with: float | None
    without_extras: int
    avg_clv_without: float | None


@dataclass(frozen=True)
class Report:
    """What extras cost and what their customers did next. revenue_after sums each
    extra's customer's purchases after it was given (a customer given two extras counts
    the purchases after the first once); clv_2y is their current projected value."""

    extras: int
    customers: int
    cost: Decimal
    revenue_after: Decimal
    clv_2y: float
    tiers: list[TierComparison]

    @property
    def revenue_per_cost(self) -> float | None:
        return float(self.revenue_after / self.cost) if self.cost else None


def report(customers: QuerySet[Customer]) -> Report:
    """The cost of extras given to `customers` against those customers' later value, and
    (cheap, not causal) the average two-year value per tier of customers with an extra
    against those without."""
    given = given_to(customers)
    totals = given.aggregate(
        n=Count("pk"), cost=Sum("cost"), people=Count("customer", distinct=True)
    )
    first = {}
    for pk, when in given.order_by("given_at").values_list("customer_id", "given_at"):
        first.setdefault(pk, when)
    revenue = Decimal(0)
    for pk, when in first.items():
        after = Purchase.objects.filter(customer_id=pk, occurred_at__gt=when).aggregate(
            s=Sum("total")
        )["s"]
        revenue += after or Decimal(0)
    clv = ValueSnapshot.objects.filter(customer_id__in=list(first)).aggregate(s=Sum("clv_2y"))
    has_extra = Exists(ExtraGiven.objects.filter(customer=OuterRef("customer")))
    rows = (
        ValueSnapshot.objects.filter(customer__in=customers.order_by().values("pk"))
        .annotate(has=has_extra)
        .values("tier", "has")
        .annotate(n=Count("pk"), avg=Avg("clv_2y"))
        .order_by("tier")
    )
    by_tier: dict[str, dict] = {}
    for r in rows:
        by_tier.setdefault(r["tier"], {})[r["has"]] = r
    tiers = [
        TierComparison(
            tier=t,
            with_extras=d.get(True, {}).get("n", 0),
            avg_clv_with=d.get(True, {}).get("avg"),
            without_extras=d.get(False, {}).get("n", 0),
            avg_clv_without=d.get(False, {}).get("avg"),
        )
        for t, d in sorted(by_tier.items())
    ]
    return Report(
        extras=totals["n"],
        customers=totals["people"],
        cost=totals["cost"] or Decimal(0),
        revenue_after=revenue,
        clv_2y=float(clv["s"] or 0),
        tiers=tiers,
    )
