"""The agenda's promise items.

promise — an open promise due today or within the reminder days (LIFELONG_PROMISES
"remind_days", default 2), or overdue: "Promise due tomorrow — call back with the quote —
Anna Berg (tier A) — last touch 3 days ago". Done keeps it (kept or kept late) and logs
the touch by the channel given; snooze hides it until a day (Promise.snoozed_until);
dismiss hides this reminder: the one before the deadline, or the overdue one (a promise
whose "due soon" reminder was dismissed comes back once it is overdue).

apology — a promise broken in the last 14 days that nobody has made good yet: "Broken
promise: call back with the quote — make it right". Done logs the touch (the apology)
and closes it; snooze hides it until a day; dismiss hides it for good.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lifelong.agenda.items import (
    Action,
    Day,
    Item,
    customer_ref,
    day_words,
    item_for,
    of_customers,
    rank_key,
)
from lifelong.customers.models import Customer
from lifelong.promises import services
from lifelong.promises.models import Promise, Stage, Status

APOLOGY_DAYS = 14


def _overdue_on(day: Day, now: dt.datetime) -> Q:
    """Overdue as seen on `day`: its due day is before `day`, or its window ended before
    `day` starts (a later day), before now (today) or before `day` ends (an earlier day)."""
    cutoff = day.start if now < day.start else min(now, day.end)
    return Q(due_on__lt=day.today) | Q(window_end__lt=cutoff)


def promise_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Open promises due on `day` (`exact`) or by `day` + the reminder days and every
    overdue one, not snoozed past `day` nor dismissed at their stage; best first."""
    now = timezone.now()
    if exact:
        when = Q(due_on=day.today) | Q(window_end__gte=day.start, window_end__lt=day.end)
    else:
        last = day.today + dt.timedelta(days=services.remind_days())
        end = day.start + dt.timedelta(days=services.remind_days() + 1)
        when = Q(due_on__lte=last) | Q(window_end__lt=end)
    overdue = _overdue_on(day, now)
    rows = (
        of_customers(Promise.objects.filter(status=Status.OPEN), customers)
        .filter(when)
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=day.today))
        .exclude(Q(reminder_dismissed=Stage.DUE) & ~overdue)
        .exclude(Q(reminder_dismissed=Stage.OVERDUE) & overdue)
        .select_related("customer__owner")
        .order_by("-customer__value_rank", "deadline", "id")[:limit]
    )
    tz = day.start.tzinfo
    items = []
    for p in rows:
        due = p.due_on or p.window_end.astimezone(tz).date()
        late = (day.today - due).days
        window = ""
        if p.window_end is not None:
            start, end = p.window_start.astimezone(tz), p.window_end.astimezone(tz)
            window = f" {start:%H:%M}\u2013{end:%H:%M}"
        if late > 0:
            when = f"Promise overdue by {late} day{'s' if late != 1 else ''}"
        elif late == 0 and p.window_end is not None and p.window_end < now:
            when = f"Promise overdue since {p.window_end.astimezone(tz):%H:%M}"
        else:
            when = f"Promise due {day_words(due, day.today)}{window}"
        items.append(
            item_for(
                p.customer,
                kind="promise",
                key=f"promise:{p.pk}",
                due=due,
                # The Today page shows the title alone: it names what was promised.
                title=f"{when}: {p.what}",
                reason_title=f"{when} — {p.what}",
                today=day.today,
                tz=tz,
                extra={
                    "promise_id": p.pk,
                    "what": p.what,
                    "when": when,
                    "overdue": late > 0 or when.startswith("Promise overdue"),
                },
            )
        )
    return sorted(items, key=rank_key)


def _promise(a: Action, status: str) -> Promise:
    if not a.ref.isdigit():
        raise ValueError(f"{a.ref!r} is not a promise.")
    promise = Promise.objects.filter(pk=int(a.ref), status=status).first()
    if promise is None:
        raise Http404("No such item")
    promise.customer = customer_ref(a.user, str(promise.customer_id))  # Http404: not theirs
    return promise


def promise_action(a: Action) -> str:
    promise = _promise(a, Status.OPEN)
    name = promise.customer.display_name
    if a.action == "done":
        services.keep(promise, by=a.user, channel=a.channel, note=a.note)
        late = " late" if promise.status == Status.KEPT_LATE else ""
        return f"Kept{late}: {promise.what} ({name}), and logged as a touch."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        services.snooze(promise, until)
        return f"Promise to {name}: snoozed until {until:%A %-d %B}."
    stage = Stage.OVERDUE if services.is_overdue(promise) else Stage.DUE
    services.dismiss_reminder(promise, stage)
    if stage == Stage.DUE:
        return f"Reminder dismissed; the promise to {name} comes back if it becomes overdue."
    return f"Overdue promise to {name}: dismissed."


def apology_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Promises broken in the last 14 days (`exact`: on `day`) not yet made good,
    dismissed or snoozed past `day`; best first."""
    since = day.start if exact else day.start - dt.timedelta(days=APOLOGY_DAYS)
    rows = (
        of_customers(Promise.objects.all(), customers)
        .filter(
            status=Status.BROKEN,
            broken_at__gte=since,
            broken_at__lt=day.end,
            made_good_at__isnull=True,
            apology_dismissed_at__isnull=True,
        )
        .filter(Q(apology_snoozed_until__isnull=True) | Q(apology_snoozed_until__lte=day.today))
        .select_related("customer__owner")
        .order_by("-customer__value_rank", "broken_at", "id")[:limit]
    )
    tz = day.start.tzinfo
    items = []
    for p in rows:
        title = f"Broken promise: {p.what}"
        items.append(
            item_for(
                p.customer,
                kind="apology",
                key=f"apology:{p.pk}",
                due=p.broken_at.astimezone(tz).date(),
                title=title,
                reason_title=f"{title} — make it right",
                today=day.today,
                tz=tz,
                extra={"promise_id": p.pk, "what": p.what, "reason": p.broken_reason[:200]},
            )
        )
    return sorted(items, key=rank_key)


def apology_action(a: Action) -> str:
    promise = _promise(a, Status.BROKEN)
    name = promise.customer.display_name
    if a.action == "done":
        services.make_good(promise, by=a.user, channel=a.channel, note=a.note)
        return f"Made it right with {name}, and logged as a touch."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        services.snooze_apology(promise, until)
        return f"Apology to {name}: snoozed until {until:%A %-d %B}."
    services.dismiss_apology(promise)
    return f"Apology to {name}: dismissed."


SOURCES = [
    ("promise", promise_items, promise_action),
    ("apology", apology_items, apology_action),
]
