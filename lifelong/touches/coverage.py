"""Keep-in-touch coverage: did every customer hear from us in the last 30 days, and month
by month?

Plain functions over a customers QuerySet (pass customers_visible_to(user), so a rep's
report covers only their own customers) and a `now`. Only customers and former customers
count: prospects are not owed a monthly contact, archived records are set aside. Status
and archive are today's, also for past months (the history of either is not kept).
Every figure is counted in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer, Status
from lifelong.touches.models import Touch

WINDOW_DAYS = 30
GOAL = 1.0  # the product's rule: everybody, every month
TIERS = ("A", "B", "C")
NO_TIER = "no tier yet"


def _share(touched: int, count: int) -> float | None:
    return touched / count if count else None


@dataclass(frozen=True)
class Row:
    """`touched` of `count` customers heard from us in the window; share is None for 0."""

    label: str
    count: int
    touched: int

    @property
    def share(self) -> float | None:
        return _share(self.touched, self.count)

    @property
    def untouched(self) -> int:
        return self.count - self.touched


@dataclass(frozen=True)
class OwnerRow(Row):
    owner_id: int = 0
    username: str = ""


@dataclass(frozen=True)
class Coverage:
    now: dt.datetime
    since: dt.datetime  # the window is [since, now]
    total: Row
    by_owner: list[OwnerRow]  # lowest share first
    by_tier: list[Row]  # A, B, C, then "no tier yet"; always all four

    @property
    def share(self) -> float | None:
        return self.total.share


@dataclass(frozen=True)
class MonthShare:
    start: dt.datetime  # the month's first midnight in the business's time zone
    label: str  # "Mar 2025", or "Jun 2025 (so far)" for the current month
    customers: int  # customers and former customers created before the month ended
    touched: int  # how many of them had at least one touch during the month
    partial: bool  # the current month, which has not ended yet

    @property
    def share(self) -> float | None:
        return _share(self.touched, self.customers)


@dataclass(frozen=True)
class Untouched:
    items: list[Customer]
    total: int


def covered(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers the monthly rule is about: customers and former customers, not archived."""
    return customers.filter(
        status__in=[Status.CUSTOMER, Status.FORMER], archived_at__isnull=True
    ).order_by()


def window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=WINDOW_DAYS)


def _counts(since: dt.datetime) -> dict[str, Count]:
    # last_touched_at is the latest touch, and touches are never in the future, so
    # "touched in the window" is one comparison on the customer row.
    return {"n": Count("id"), "touched": Count("id", filter=Q(last_touched_at__gte=since))}


def coverage(customers: QuerySet[Customer], now: dt.datetime) -> Coverage:
    """The share of customers touched in the last 30 days: overall, by owner, by tier."""
    since = window_start(now)
    qs = covered(customers)
    totals = qs.aggregate(**_counts(since))
    total = Row("all", totals["n"], totals["touched"])

    per_owner = list(qs.values("owner_id").annotate(**_counts(since)))
    owners = User.objects.in_bulk([r["owner_id"] for r in per_owner])
    by_owner = sorted(
        (
            OwnerRow(
                owners[r["owner_id"]].display_name,
                r["n"],
                r["touched"],
                owner_id=r["owner_id"],
                username=owners[r["owner_id"]].username,
            )
            for r in per_owner
        ),
        key=lambda r: (r.share, r.label.lower()),
    )

    per_tier = {r["tier"]: r for r in qs.values("tier").annotate(**_counts(since))}
    by_tier = []
    for tier in (*TIERS, ""):
        r = per_tier.get(tier, {"n": 0, "touched": 0})
        by_tier.append(Row(tier or NO_TIER, r["n"], r["touched"]))
    return Coverage(now=now, since=since, total=total, by_owner=by_owner, by_tier=by_tier)


def month_starts(now: dt.datetime, months: int, tz: ZoneInfo) -> list[dt.datetime]:
    """The first midnight of each of the last `months` calendar months in `tz`, oldest
    first, then the start of the month after the current one (months + 1 values)."""
    local = now.astimezone(tz)
    year, month = local.year, local.month
    starts = []
    for back in range(months - 1, -2, -1):
        y, m = divmod(year * 12 + (month - 1) - back, 12)
        starts.append(dt.datetime(y, m + 1, 1, tzinfo=tz))
    return starts


def monthly(
    customers: QuerySet[Customer], now: dt.datetime, months: int = 12, tz: ZoneInfo | None = None
) -> list[MonthShare]:
    """For each of the last `months` calendar months (in the business's time zone, oldest
    first), the share of the customers that existed by the month's end who were touched
    during it. The current month runs to `now` and is marked partial.

    Two queries: the denominators as filtered counts over the customers, and the
    numerators as one GROUP BY over the window's touches, the month found by comparing
    occurred_at with the boundaries (plain SQL on any database, no time zone functions).
    """
    tz = tz or Business.get().tzinfo
    starts = month_starts(now, months, tz)
    ends = [min(end, now) for end in starts[1:]]
    qs = covered(customers)

    existed = qs.aggregate(
        **{f"m{i}": Count("id", filter=Q(created_at__lt=end)) for i, end in enumerate(ends)}
    )

    # Newest month first, so the first boundary a touch is past names its month.
    month_of_touch = Case(
        *[When(occurred_at__gte=starts[i], then=Value(i)) for i in range(months - 1, 0, -1)],
        default=Value(0),
        output_field=IntegerField(),
    )
    # A customer counts in a month only if it existed by the month's end (a touch logged
    # for a date before the record was created must not push a share past 100%).
    end_of_touch_month = Case(
        *[When(occurred_at__gte=starts[i], then=Value(ends[i])) for i in range(months - 1, 0, -1)],
        default=Value(ends[0]),
        output_field=DateTimeField(),
    )
    touched_rows = (
        Touch.objects.filter(customer__in=qs, occurred_at__gte=starts[0], occurred_at__lte=now)
        .annotate(month=month_of_touch, month_end=end_of_touch_month)
        .filter(customer__created_at__lt=F("month_end"))
        .order_by()
        .values("month")
        .annotate(n=Count("customer_id", distinct=True))
    )
    touched = {r["month"]: r["n"] for r in touched_rows}

    result = []
    for i in range(months):
        partial = i == months - 1
        label = f"{starts[i]:%b %Y}" + (" (so far)" if partial else "")
        result.append(
            MonthShare(
                start=starts[i],
                label=label,
                customers=existed[f"m{i}"],
                touched=touched.get(i, 0),
                partial=partial,
            )
        )
    return result


def never_touched(customers: QuerySet[Customer], limit: int) -> Untouched:
    """Customers without a single touch, oldest record first, and how many there are."""
    qs = covered(customers).filter(last_touched_at__isnull=True)
    items = list(qs.select_related("owner").order_by("id")[:limit])
    total = len(items) if len(items) < limit else qs.count()
    return Untouched(items, total)


def longest_untouched(
    customers: QuerySet[Customer], limit: int, *, now: dt.datetime | None = None
) -> Untouched:
    """Customers touched before but not in the last 30 days, the longest silent first
    (the (last_touched_at, id) index gives the order), and how many there are."""
    since = window_start(now or timezone.now())
    qs = covered(customers).filter(last_touched_at__lt=since)
    items = list(qs.select_related("owner").order_by("last_touched_at", "id")[:limit])
    total = len(items) if len(items) < limit else qs.count()
    return Untouched(items, total)


def as_dict(report: Coverage, months: list[MonthShare]) -> dict[str, Any]:
    """The report as the API and `lifelong coverage --json` give it."""

    def row(r: Row) -> dict[str, Any]:
        return {"customers": r.count, "touched": r.touched, "share": r.share}

    return {
        "window_days": WINDOW_DAYS,
        "since": report.since.astimezone(dt.UTC),
        "goal": GOAL,
        **row(report.total),
        "by_owner": [
            {"owner": {"id": r.owner_id, "username": r.username}, "name": r.label, **row(r)}
            for r in report.by_owner
        ],
        "by_tier": [
            {"tier": r.label if r.label in TIERS else "", **row(r)} for r in report.by_tier
        ],
        "months": [
            {
                "month": f"{m.start:%Y-%m}",
                "customers": m.customers,
                "touched": m.touched,
                "share": m.share,
                "partial": m.partial,
            }
            for m in months
        ],
    }
