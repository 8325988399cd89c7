"""Demo events: an open house next month with some answers in (and a short wait list),
and a seminar two months ago with its attendance recorded as event touches."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer
from lifelong.events.models import Event, Invitation, Kind, Rsvp
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch


def _at(business: Business, day: dt.date, hour: int) -> dt.datetime:
    return business.start_of(day) + dt.timedelta(hours=hour)


@transaction.atomic
def add_demo_events(customers: Sequence[Customer], rng: random.Random, today: dt.date) -> int:
    """Two events and their invitations (no emails: the demo sends nothing). Returns how
    many invitations it made."""
    if not customers:
        return 0
    business = Business.get()
    now = timezone.now()
    best = sorted(customers, key=lambda c: -c.value_rank)
    open_day = today + dt.timedelta(days=30 + (5 - (today + dt.timedelta(days=30)).weekday()) % 7)
    open_house = Event.objects.create(
        name="Spring open house",
        kind=Kind.OPEN_HOUSE,
        starts_at=_at(business, open_day, 11),
        ends_at=_at(business, open_day, 15),
        place=business.name or "Our shop",
        capacity=max(4, min(40, len(customers) // 25)),
        description="Coffee, the new models, and the people you usually only email.",
    )
    seminar_day = today - dt.timedelta(days=60)
    seminar = Event.objects.create(
        name="Seminar: getting more out of your service plan",
        kind=Kind.SEMINAR,
        starts_at=_at(business, seminar_day, 9),
        ends_at=_at(business, seminar_day, 11),
        place="Conference room",
        capacity=20,
        description="An hour of tips, then questions over breakfast.",
    )
    made = 0
    guests = best[: min(len(best), open_house.capacity + 12)]
    taken = 0
    for c in guests:
        invited = now - dt.timedelta(days=rng.randint(3, 10))
        answer = rng.choices([Rsvp.YES, Rsvp.NO, Rsvp.MAYBE, Rsvp.NONE], [5, 2, 1, 3])[0]
        waitlisted = answer == Rsvp.YES and taken >= open_house.capacity
        taken += answer == Rsvp.YES and not waitlisted
        Invitation.objects.create(
            event=open_house,
            customer=c,
            invited_at=invited,
            rsvp=answer,
            rsvp_at=None if answer == Rsvp.NONE else invited + dt.timedelta(days=1),
            waitlisted=waitlisted,
        )
        made += 1
    attendees = rng.sample(best[:60], k=min(len(best), 15))
    for c in attendees:
        came = rng.random() < 0.8
        invitation = Invitation.objects.create(
            event=seminar,
            customer=c,
            invited_at=seminar.starts_at - dt.timedelta(days=21),
            rsvp=Rsvp.YES,
            rsvp_at=seminar.starts_at - dt.timedelta(days=18),
            attended=came,
        )
        if came:
            invitation.attended_touch = log_touch(
                c,
                user=c.owner,
                channel=Channel.EVENT,
                direction="inbound",
                occurred_at=seminar.starts_at,
                summary=f"Came to {seminar.name}",
            )
            invitation.save(update_fields=["attended_touch"])
        made += 1
    return made
