"""Making, keeping, breaking and renegotiating promises; overdue, due soon and kept-rates.

Every caller (pages, API, agenda, CLI, demo) goes through these functions.

When is a promise on time? A promise due on a day is on time until that day ends in the
business's time zone; one with a window is on time until the window's end (kept at
exactly window_end is on time; a second later is late). Keeping it early is on time.

Is keeping a promise a touch? Only when it reached the customer. keep() logs a touch
when the caller says how the customer heard (`channel`: the agenda's Done always does,
the Keep form asks); when the promise has notify_customer, the "kept" email goes out and
the worker logs that email as the touch. Keeping a promise nobody was told about yet
(the quote is written, the call comes later) is recorded but is not an interaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from lifelong.accounts.models import Business, Role, User
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.promises.models import (
    DECIDED_STATUSES,
    KEPT_STATUSES,
    Promise,
    Source,
    Status,
)
from lifelong.touches.services import log_touch

DEFAULTS = {"remind_days": 2}
MAX_WHAT = 500


def setting(key: str):
    """LIFELONG_PROMISES[key] from the settings, else its default."""
    return {**DEFAULTS, **getattr(settings, "LIFELONG_PROMISES", {})}[key]


def remind_days() -> int:
    """How many days ahead a promise shows on the agenda and in `promises --due`."""
    return int(setting("remind_days"))


# ---------------------------------------------------------------- time


def deadline_of(
    due_on: dt.date | None, window_end: dt.datetime | None, business: Business | None = None
) -> dt.datetime:
    """The last moment a promise is kept on time (see the module's docstring)."""
    if window_end is not None:
        return window_end
    if due_on is None:
        raise ValueError("A promise has a due date or a window.")
    business = business or Business.get()
    return business.start_of(due_on + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def due_date(promise: Promise, business: Business | None = None) -> dt.date:
    """The day a promise falls due, as a person in the business sees it."""
    if promise.due_on is not None:
        return promise.due_on
    business = business or Business.get()
    return promise.window_end.astimezone(business.tzinfo).date()


def is_overdue(promise: Promise, now: dt.datetime | None = None) -> bool:
    """Open and past its deadline: a state derived on every read, never stored."""
    if promise.status != Status.OPEN:
        return False
    return (now or timezone.now()) > deadline_of(promise.due_on, promise.window_end)


def overdue_q(now: dt.datetime | None = None) -> Q:
    """The open promises past their deadline, as a filter (the same rule as is_overdue)."""
    now = now or timezone.now()
    today = Business.get().today(now)
    return Q(status=Status.OPEN) & (Q(window_end__lt=now) | Q(due_on__lt=today))


def due_within_q(days: int, now: dt.datetime | None = None) -> Q:
    """Open promises falling due before the end of the day `days` days from today, and
    every overdue one."""
    now = now or timezone.now()
    business = Business.get()
    last = business.today(now) + dt.timedelta(days=days)
    end = business.start_of(last + dt.timedelta(days=1))
    return Q(status=Status.OPEN) & (Q(due_on__lte=last) | Q(window_end__lt=end))


def due_words(promise: Promise, business: Business | None = None) -> str:
    """ "by 14 Mar 2026", "on 14 Mar 2026, 13:00-15:00" (business time zone)."""
    business = business or Business.get()
    if promise.due_on is not None:
        return f"by {promise.due_on.day} {promise.due_on:%b %Y}"
    tz = business.tzinfo
    start, end = promise.window_start.astimezone(tz), promise.window_end.astimezone(tz)
    if start.date() == end.date():
        return f"on {start.day} {start:%b %Y}, {start:%H:%M}\u2013{end:%H:%M}"
    return f"between {start.day} {start:%b %Y %H:%M} and {end.day} {end:%b %Y %H:%M}"


# ---------------------------------------------------------------- access to people


def check_owner(customer: Customer, owner: User | None) -> None:
    """ValidationError unless `owner` is an active user who may see `customer`."""
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": ["Choose an active user to own the promise."]})
    if not customers_visible_to(owner).filter(pk=customer.pk).exists():
        raise ValidationError(
            {"owner": [f"{owner.display_name} cannot see {customer.display_name}."]}
        )


def possible_owners(customer: Customer) -> QuerySet[User]:
    """Who may own a promise to `customer`: active users who may see them."""
    everyone = Q(role__in=[Role.OWNER, Role.MANAGER]) | Q(is_superuser=True)
    return User.objects.filter(is_active=True).filter(everyone | Q(pk=customer.owner_id))


# ---------------------------------------------------------------- making


def _check_when(
    due_on: dt.date | None,
    window_start: dt.datetime | None,
    window_end: dt.datetime | None,
    now: dt.datetime,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    window = window_start is not None or window_end is not None
    if due_on is None and not window:
        errors["due_on"] = ["Give a due date or a window."]
        return errors
    if due_on is not None and window:
        errors["due_on"] = ["Give a due date or a window, not both."]
        return errors
    if due_on is not None:
        if due_on < Business.get().today(now):
            errors["due_on"] = ["The due date is in the past."]
        return errors
    if window_start is None or window_end is None:
        errors["window_end" if window_end is None else "window_start"] = [
            "A window needs a start and an end."
        ]
        return errors
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if timezone.is_naive(value):
            errors[name] = ["Give the time with its time zone."]
    if errors:
        return errors
    if window_end <= window_start:
        errors["window_end"] = ["The window must end after it starts."]
    elif window_end <= now:
        errors["window_end"] = ["The window has already ended."]
    return errors


@transaction.atomic
def make_promise(
    customer: Customer,
    *,
    what: str,
    owner: User | None,
    by: User | None,
    due_on: dt.date | None = None,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    notify_customer: bool = False,
    touch=None,
    purchase=None,
    source: str | None = None,
) -> Promise:
    """Record a promise to `customer` and, with notify_customer, queue the "made" email.

    ValidationError (by field) for an empty `what`, no date or both kinds, a due date in
    the past, a window that ends before it starts or has ended, or an owner who cannot
    see the customer. A `touch` or `purchase` must be the customer's own.
    """
    now = timezone.now()
    what = " ".join((what or "").split())
    errors = _check_when(due_on, window_start, window_end, now)
    if not what:
        errors["what"] = ["Say what was promised."]
    elif len(what) > MAX_WHAT:
        errors["what"] = [f"At most {MAX_WHAT} characters."]
    try:
        check_owner(customer, owner)
    except ValidationError as e:
        errors.update(e.message_dict)
    if touch is not None and touch.customer_id != customer.pk:
        errors["touch"] = ["That touch is another customer's."]
    if purchase is not None and purchase.customer_id != customer.pk:
        errors["purchase"] = ["That purchase is another customer's."]
    if errors:
        raise ValidationError(errors)
    if source is None:
        source = (
            Source.TOUCH if touch is not None
            else Source.PURCHASE if purchase is not None
            else Source.CUSTOMER_PAGE
        )  # fmt: skip
    promise = Promise.objects.create(
        customer=customer,
        owner=owner,
        what=what,
        due_on=due_on,
        window_start=window_start,
        window_end=window_end,
        deadline=deadline_of(due_on, window_end),
        source=source,
        touch=touch,
        purchase=purchase,
        notify_customer=notify_customer,
        created_by=by,
        created_at=now,
    )
    if notify_customer:
        from lifelong.promises import emails

        emails.send_made(promise)
    return promise


def _open(promise: Promise, doing: str) -> Promise:
    """The promise locked and fresh; ValidationError unless it is still open."""
    locked = Promise.objects.select_for_update().get(pk=promise.pk)
    if locked.status != Status.OPEN:
        raise ValidationError(
            f"Only an open promise can be {doing}; this one is {locked.get_status_display()}."
        )
    locked.customer = promise.customer
    return locked


@transaction.atomic
def keep(
    promise: Promise,
    *,
    by: User | None,
    at: dt.datetime | None = None,
    channel: str | None = None,
    note: str = "",
) -> Promise:
    """Mark an open promise kept (on time) or kept late, decided by `at` (default now)
    against its deadline. With `channel` ("call", "email", …) it reached the customer:
    log that touch. With notify_customer, queue the "kept" email (the worker logs it as
    a touch when it is sent)."""
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise ValidationError({"kept_at": ["A promise cannot be kept in the future."]})
    locked = _open(promise, "kept")
    locked.kept_at = at
    on_time = at <= deadline_of(locked.due_on, locked.window_end)
    locked.status = Status.KEPT if on_time else Status.KEPT_LATE
    locked.save(update_fields=["kept_at", "status"])
    if channel:
        log_touch(
            locked.customer,
            user=by,
            channel=channel,
            summary=(note or f"Kept a promise: {locked.what}")[:500],
            occurred_at=min(at, now),
        )
    if locked.notify_customer:
        from lifelong.promises import emails

        emails.send_kept(locked)
    _copy(locked, promise)
    return promise


@transaction.atomic
def break_promise(promise: Promise, *, by: User | None, reason: str) -> Promise:
    """Mark an open promise broken, saying why; it puts an apology on the owner's agenda
    and counts against the kept-rate."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why it was not kept."]})
    locked = _open(promise, "marked broken")
    locked.status = Status.BROKEN
    locked.broken_at = timezone.now()
    locked.broken_reason = reason
    locked.save(update_fields=["status", "broken_at", "broken_reason"])
    _copy(locked, promise)
    return promise


@transaction.atomic
def renegotiate(
    promise: Promise,
    *,
    by: User | None,
    due_on: dt.date | None = None,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    what: str | None = None,
) -> Promise:
    """Agree a new date: a new open promise (same customer, owner and source; the new
    date, and `what` if given) replaces this one, which becomes renegotiated and points
    to it. Returns the new promise. With notify_customer the customer is told the new
    date (a "made" email for the new promise)."""
    locked = _open(promise, "renegotiated")
    owner = locked.owner
    if owner is None or not owner.is_active:
        owner = by
    new = make_promise(
        locked.customer,
        what=locked.what if what is None else what,
        owner=owner,
        by=by,
        due_on=due_on,
        window_start=window_start,
        window_end=window_end,
        notify_customer=locked.notify_customer,
        touch=locked.touch,
        purchase=locked.purchase,
        source=locked.source,
    )
    locked.status = Status.RENEGOTIATED
    locked.renegotiated_to = new
    locked.save(update_fields=["status", "renegotiated_to"])
    _copy(locked, promise)
    return new


def _copy(source: Promise, target: Promise) -> None:
    for name in ("status", "kept_at", "broken_at", "broken_reason", "renegotiated_to_id"):
        setattr(target, name, getattr(source, name))


def chain(promise: Promise, limit: int = 50) -> list[Promise]:
    """The renegotiation chain through `promise`: the first promise made, each one that
    replaced it, up to the current one (at most `limit`; safe against a loop in bad data)."""
    first, seen = promise, {promise.pk}
    while len(seen) < limit:
        before = Promise.objects.filter(renegotiated_to=first).first()
        if before is None or before.pk in seen:
            break
        first = before
        seen.add(before.pk)
    found, current, seen = [first], first, {first.pk}
    while current.renegotiated_to_id and len(found) < limit:
        current = Promise.objects.get(pk=current.renegotiated_to_id)
        if current.pk in seen:
            break
        found.append(current)
        seen.add(current.pk)
    return found


# ---------------------------------------------------------------- agenda marks


def snooze(promise: Promise, until: dt.date) -> None:
    Promise.objects.filter(pk=promise.pk).update(snoozed_until=until)
    promise.snoozed_until = until


def dismiss_reminder(promise: Promise, stage: str) -> None:
    Promise.objects.filter(pk=promise.pk).update(reminder_dismissed=stage)
    promise.reminder_dismissed = stage


@transaction.atomic
def make_good(promise: Promise, *, by: User | None, channel: str, note: str = "") -> None:
    """The apology for a broken promise was made: log it as a touch and close the item."""
    if promise.status != Status.BROKEN:
        raise ValidationError("Only a broken promise needs making good.")
    log_touch(
        promise.customer,
        user=by,
        channel=channel,
        summary=(note or f"Made good on a broken promise: {promise.what}")[:500],
    )
    promise.made_good_at = timezone.now()
    Promise.objects.filter(pk=promise.pk).update(made_good_at=promise.made_good_at)


def snooze_apology(promise: Promise, until: dt.date) -> None:
    Promise.objects.filter(pk=promise.pk).update(apology_snoozed_until=until)
    promise.apology_snoozed_until = until


def dismiss_apology(promise: Promise) -> None:
    promise.apology_dismissed_at = timezone.now()
    Promise.objects.filter(pk=promise.pk).update(apology_dismissed_at=promise.apology_dismissed_at)


# ---------------------------------------------------------------- lists


def due_soon(
    promises: QuerySet[Promise], *, days: int | None = None, now: dt.datetime | None = None
) -> QuerySet[Promise]:
    """Open promises due within `days` days (default: the remind_days setting) and every
    overdue one, the earliest deadline first."""
    days = remind_days() if days is None else days
    return (
        promises.filter(due_within_q(days, now))
        .select_related("customer", "owner")
        .order_by("deadline", "id")
    )


def open_first(promises: QuerySet[Promise], now: dt.datetime | None = None) -> QuerySet[Promise]:
    """Overdue first, then open by deadline, then the decided ones, newest first."""
    from django.db.models import Case, IntegerField, Value, When

    now = now or timezone.now()
    return promises.annotate(
        rank=Case(
            When(overdue_q(now), then=Value(0)),
            When(status=Status.OPEN, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("rank", "deadline", "-id")


# ---------------------------------------------------------------- kept-rate


@dataclass
class Rate:
    kept: int = 0
    kept_late: int = 0
    broken: int = 0

    @property
    def decided(self) -> int:
        return self.kept + self.kept_late + self.broken

    @property
    def rate(self) -> float | None:
        """(kept + kept late) / decided; None before anything was decided."""
        return (self.kept + self.kept_late) / self.decided if self.decided else None

    @property
    def on_time_rate(self) -> float | None:
        return self.kept / self.decided if self.decided else None

    def add(self, status: str, n: int) -> None:
        if status == Status.KEPT:
            self.kept += n
        elif status == Status.KEPT_LATE:
            self.kept_late += n
        elif status == Status.BROKEN:
            self.broken += n

    def as_dict(self) -> dict:
        return {
            "kept": self.kept,
            "kept_late": self.kept_late,
            "broken": self.broken,
            "decided": self.decided,
            "rate": None if self.rate is None else round(self.rate, 4),
        }


@dataclass
class Month:
    start: dt.date
    rate: Rate = field(default_factory=Rate)

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"


@dataclass
class OwnerRate:
    owner_id: int | None
    owner_name: str
    total: Rate
    months: list[Month]


def kept_rate(promises: QuerySet[Promise]) -> Rate:
    """Kept, kept late and broken counts of `promises`, and the rate over those decided."""
    rate = Rate()
    rows = promises.filter(status__in=DECIDED_STATUSES).values("status").annotate(n=Count("id"))
    for row in rows.order_by():
        rate.add(row["status"], row["n"])
    return rate


def month_starts(now: dt.datetime | None = None, months: int = 12) -> list[dt.date]:
    """The first days of the last `months` calendar months, this one last."""
    today = Business.get().today(now)
    y, m = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return starts[::-1]


def _decided_by_month(promises: QuerySet[Promise], starts: list[dt.date]) -> QuerySet:
    business = Business.get()
    since = business.start_of(starts[0])
    return (
        promises.filter(status__in=DECIDED_STATUSES)
        .annotate(decided_at=Coalesce(F("kept_at"), F("broken_at")))
        .filter(decided_at__gte=since)
        .annotate(month=TruncMonth("decided_at", tzinfo=business.tzinfo))
        .order_by()
    )


def _month_key(value: dt.date | dt.datetime) -> dt.date:
    return dt.date(value.year, value.month, 1)


def kept_rate_by_month(
    promises: QuerySet[Promise], *, now: dt.datetime | None = None, months: int = 12
) -> list[Month]:
    """The kept-rate of `promises` in each of the last `months` calendar months (business
    time zone), by the month each promise was kept or broken; oldest first."""
    starts = month_starts(now, months)
    by_month = {s: Month(s) for s in starts}
    rows = _decided_by_month(promises, starts).values("month", "status").annotate(n=Count("id"))
    for row in rows:
        month = by_month.get(_month_key(row["month"]))
        if month is not None:
            month.rate.add(row["status"], row["n"])
    return list(by_month.values())


def kept_rate_by_owner(
    promises: QuerySet[Promise], *, now: dt.datetime | None = None, months: int = 12
) -> list[OwnerRate]:
    """Per owner of `promises`: the kept-rate over all time and in each of the last
    `months` months. Two queries, whatever the number of owners; the owners with most
    decided promises first."""
    starts = month_starts(now, months)
    totals: dict[int | None, Rate] = {}
    rows = (
        promises.filter(status__in=DECIDED_STATUSES)
        .values("owner", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        totals.setdefault(row["owner"], Rate()).add(row["status"], row["n"])
    monthly: dict[int | None, dict[dt.date, Month]] = {
        owner: {s: Month(s) for s in starts} for owner in totals
    }
    rows = (
        _decided_by_month(promises, starts)
        .values("owner", "month", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        month = monthly[row["owner"]].get(_month_key(row["month"]))
        if month is not None:
            month.rate.add(row["status"], row["n"])
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[k for k in totals if k])}
    result = [
        OwnerRate(
            owner_id=owner,
            owner_name=names.get(owner, "Nobody") if owner else "Nobody",
            total=rate,
            months=list(monthly[owner].values()),
        )
        for owner, rate in totals.items()
    ]
    result.sort(key=lambda r: (-r.total.decided, r.owner_name.lower()))
    return result


def kept_promises_since(since: dt.datetime) -> QuerySet[Promise]:
    """Promises kept (on time or late) at or after `since`: the referral asks' good moments."""
    return Promise.objects.filter(status__in=KEPT_STATUSES, kept_at__gte=since)


def broken_promises_since(since: dt.datetime) -> QuerySet[Promise]:
    """Promises broken at or after `since`: for the at-risk signal (issue 8)."""
    return Promise.objects.filter(status=Status.BROKEN, broken_at__gte=since)
