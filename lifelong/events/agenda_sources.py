"""The agenda's "moved up" items: a guest a freed place went to, who should hear it.

"Moved up from the wait list for Spring open house (Thu 14 May 17:00) — tell them the
place is theirs". Their RSVP page says so already; the item is for the personal word.
Done logs the touch and takes the item off; snooze hides it until a day; dismiss takes
it off without a touch. The item goes away by itself once the event has ended.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.agenda.items import Action, Day, Item, customer_ref, item_for, of_customers, rank_key
from lifelong.customers.models import Customer
from lifelong.events import services
from lifelong.events.models import Invitation
from lifelong.touches.services import log_touch


def title_of(invitation: Invitation, tz: dt.tzinfo) -> str:
    event = invitation.event
    return (
        f"Moved up from the wait list for {event.name} ({services.when_words(event, tz)}) — "
        "tell them the place is theirs"
    )


def moved_up_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Guests moved up by the end of `day` (`exact`: on it) and not yet told, for events
    that have not ended, unless snoozed past the day."""
    rows = of_customers(
        Invitation.objects.filter(
            promoted_at__lt=day.end,
            promotion_noted_at__isnull=True,
            waitlisted=False,
            event__ends_at__gt=day.start,
        ),
        customers,
    ).filter(Q(promotion_snoozed_until__isnull=True) | Q(promotion_snoozed_until__lte=day.today))
    if exact:
        rows = rows.filter(promoted_at__gte=day.start)
    rows = rows.select_related("customer__owner", "event").order_by(
        "-customer__value_rank", "promoted_at", "id"
    )[:limit]
    items = [
        item_for(
            i.customer,
            kind="moved_up",
            key=f"moved_up:{i.pk}",
            due=i.promoted_at.astimezone(day.tz).date(),
            title=title_of(i, day.tz),
            today=day.today,
            tz=day.tz,
            extra={"invitation_id": i.pk, "event_id": i.event_id, "event": i.event.name},
        )
        for i in rows
    ]
    items.sort(key=rank_key)
    return items


def invitation_for(user: User, ref: str) -> Invitation:
    """The moved-up invitation `ref` if `user` may see its customer; Http404 otherwise."""
    if not ref.isdigit():
        raise ValueError(f"{ref!r} is not an invitation.")
    invitation = (
        Invitation.objects.filter(pk=int(ref), promoted_at__isnull=False)
        .select_related("event")
        .first()
    )
    if invitation is None:
        raise Http404("No such item")
    invitation.customer = customer_ref(user, str(invitation.customer_id))
    return invitation


def moved_up_action(a: Action) -> str:
    invitation = invitation_for(a.user, a.ref)
    name = invitation.customer.display_name
    event = invitation.event
    if a.action == "done":
        log_touch(
            invitation.customer,
            user=a.user,
            channel=a.channel,
            summary=a.note or f"Told them their place at {event.name} is confirmed",
        )
        services.note_promotion(invitation)
        return f"Logged that {name} knows their place at {event.name} is confirmed."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        Invitation.objects.filter(pk=invitation.pk).update(promotion_snoozed_until=until)
        return f"{name}'s place at {event.name}: snoozed until {until:%A %-d %B}."
    Invitation.objects.filter(pk=invitation.pk).update(promotion_noted_at=timezone.now())
    return f"Dismissed: {name}'s place at {event.name}."


SOURCES = [("moved_up", moved_up_items, moved_up_action)]
