"""The agenda's occasion items: birthdays, anniversaries and dates within their lead time."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from lifelong.agenda.items import Action, Day, Item, day_words, item_for
from lifelong.customers.models import Customer
from lifelong.occasions import services as occasions
from lifelong.occasions.access import get_occasion_for_user
from lifelong.occasions.models import MarkStatus
from lifelong.touches.services import log_touch


def occasion_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Occasions today and within their reminder lead time (`exact`: on that day only)."""
    if exact:
        found = [u for u in occasions.upcoming(customers, day.today) if u.on == day.today]
        found = found[:limit]
    else:
        found = occasions.upcoming(customers, day.today, limit=limit)
    items = []
    for u in found:
        c = u.occasion.customer
        plain = f"{u.title} {day_words(u.on, day.today)}"
        title = plain = plain[0].upper() + plain[1:]
        if u.years and u.kind == "birthday":
            title += f" (turns {u.years})"
        elif u.years and u.kind in ("wedding_anniversary", "customer_since"):
            title += f" ({u.years} years)"
        items.append(
            item_for(
                c,
                kind="occasion",
                key=u.key,
                due=u.on,
                title=title,
                today=day.today,
                tz=day.tz,
                reason_title=plain,
                extra={"occasion_kind": u.kind, "years": u.years},
            )
        )
    return items


def occasion_action(a: Action) -> str:
    pk, _, on_text = a.ref.partition(":")
    try:
        on = dt.date.fromisoformat(on_text)
    except ValueError:
        raise ValueError(f"{a.ref!r} is not an occasion's date.") from None
    occasion = get_occasion_for_user(a.user, pk)
    customer = occasion.customer
    title = occasions.title_of(occasion, on)
    if a.action == "done":
        log_touch(customer, user=a.user, channel=a.channel, summary=a.note or f"{title}: greeted")
        occasions.mark(occasion, on, MarkStatus.DONE, by=a.user)
        return f"{title} of {customer.display_name}: done, and logged as a touch."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        occasions.mark(occasion, on, MarkStatus.SNOOZED, by=a.user, until=until)
        return f"{title} of {customer.display_name}: snoozed until {until:%A %-d %B}."
    occasions.mark(occasion, on, MarkStatus.DISMISSED, by=a.user)
    return f"{title} of {customer.display_name}: dismissed for this year."


SOURCES = [("occasion", occasion_items, occasion_action)]
