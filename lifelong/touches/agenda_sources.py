"""The agenda's "keep in touch" items: customers whose next contact has fallen due."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from lifelong.accounts.models import Business
from lifelong.agenda.items import Action, Day, Item, customer_ref, item_for
from lifelong.customers import cadence
from lifelong.customers.models import Customer
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch


def due_contacts(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Customers whose next contact falls due before the end of `day` (`exact`: on that
    day only), best first."""
    due = customers.filter(next_due_at__lt=day.end)
    if exact:
        due = due.filter(next_due_at__gte=day.start)
    rows = due.select_related("owner").order_by("-value_rank", "next_due_at", "id")[:limit]
    tz = day.tz
    items = []
    for c in rows:
        due = c.next_due_at.astimezone(tz).date()
        late = (day.today - due).days
        if late <= 0:
            title = "Due for a contact today"
        elif late == 1:
            title = "Contact overdue by a day"
        else:
            title = f"Contact overdue by {late} days"
        items.append(
            item_for(
                c,
                kind="contact",
                key=f"contact:{c.pk}",
                due=due,
                title=title,
                today=day.today,
                tz=tz,
            )
        )
    return items


def contact_action(a: Action) -> str:
    customer = customer_ref(a.user, a.ref)
    name = customer.display_name
    if a.action == "done":
        log_touch(
            customer, user=a.user, channel=a.channel, summary=a.note or "Kept in touch (from Today)"
        )
        return (
            f"Logged the {Channel(a.channel).label.lower()} with {name}; next contact in "
            f"{cadence.interval_days(customer)} days."
        )
    if a.action == "snooze":
        cadence.snooze(customer, Business.get().start_of(a.today + dt.timedelta(days=a.days)))
        return f"{name} is snoozed for {a.days} day{'s' if a.days != 1 else ''}."
    cadence.skip_cycle(customer)
    return (
        f"Skipped this contact with {name}; they are due again in "
        f"{cadence.interval_days(customer)} days."
    )


SOURCES = [("contact", due_contacts, contact_action)]
