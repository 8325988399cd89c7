"""Demo promises: a realistic ledger over the last year — mostly kept, some late, a few
broken or renegotiated — and open ones due soon, later, and a few overdue."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer
from lifelong.promises.models import Promise, Source, Status
from lifelong.promises.services import deadline_of

WHAT = [
    "Call back with the quote",
    "Send the revised offer",
    "Deliver the spare parts",
    "Book the service visit",
    "Send the brochure for the new model",
    "Check the warranty and call back",
    "Introduce them to our installer",
    "Email the invoice copy",
    "Find a replacement for the discontinued part",
    "Follow up after the installation",
    "Send samples of the fabric",
    "Confirm the delivery date",
]
REASONS = [
    "The supplier was late.",
    "Forgot; it slipped through on a busy week.",
    "The part was out of stock.",
    "Ill that week and nobody covered.",
]
# Shares of the decided promises: kept on time, kept late, broken (the rest: renegotiated).
KEPT, LATE, BROKEN = 0.72, 0.14, 0.08


@transaction.atomic
def add_demo_promises(customers: list[Customer], rng: random.Random, today: dt.date) -> int:
    """About one promise for every three customers over the past year, plus open ones
    (due today, within a few days, later, and some overdue). Returns how many it made."""
    if not customers:
        return 0
    business = Business.get()
    rows: list[Promise] = []
    owners = {c.pk: c.owner_id for c in customers}
    picked = rng.sample(customers, k=max(1, len(customers) // 3))
    for customer in picked:
        made_on = today - dt.timedelta(days=rng.randint(3, 360))
        rows.append(_decided(customer.pk, owners[customer.pk], made_on, rng, business, today))
    open_count = max(1, len(customers) // 10)
    for customer in rng.sample(customers, k=min(open_count, len(customers))):
        rows.append(_open(customer.pk, owners[customer.pk], rng, business, today))
    Promise.objects.bulk_create(rows)
    return len(rows) + _renegotiations(rows, rng, business, today)


def _decided(
    customer_id: int,
    owner_id: int,
    made_on: dt.date,
    rng: random.Random,
    business: Business,
    today: dt.date,
) -> Promise:
    # Decided promises fell due at least two days ago, so that everything about them
    # (kept late, broken, made good) happened before `today` began.
    due_on = min(made_on + dt.timedelta(days=rng.randint(1, 14)), today - dt.timedelta(days=2))
    due_on = max(due_on, made_on)
    made_at = business.start_of(made_on) + dt.timedelta(hours=rng.randint(8, 17))
    deadline = deadline_of(due_on, None, business)
    before_today = business.start_of(today) - dt.timedelta(hours=1)
    promise = Promise(
        customer_id=customer_id,
        owner_id=owner_id,
        what=rng.choice(WHAT),
        due_on=due_on,
        deadline=deadline,
        source=rng.choice([Source.CUSTOMER_PAGE, Source.CUSTOMER_PAGE, Source.TOUCH]),
        created_by_id=owner_id,
        created_at=made_at,
    )
    roll = rng.random()
    on_due_day = business.start_of(due_on) + dt.timedelta(hours=rng.randint(9, 17))
    if roll < KEPT:
        promise.status = Status.KEPT
        promise.kept_at = max(made_at, on_due_day - dt.timedelta(days=rng.randint(0, 2)))
    elif roll < KEPT + LATE:
        promise.status = Status.KEPT_LATE
        late = dt.timedelta(days=rng.randint(0, 4), hours=rng.randint(9, 17))
        promise.kept_at = min(deadline + late, before_today)
    elif roll < KEPT + LATE + BROKEN:
        promise.status = Status.BROKEN
        promise.broken_at = min(deadline + dt.timedelta(days=rng.randint(1, 4)), before_today)
        promise.broken_reason = rng.choice(REASONS)
        made_good = promise.broken_at + dt.timedelta(hours=rng.randint(2, 30))
        recent = (business.start_of(today) - promise.broken_at).days < 14
        if made_good < before_today and not (recent and rng.random() < 0.7):
            promise.made_good_at = made_good  # else: an apology on the agenda
    else:
        promise.status = Status.RENEGOTIATED  # its successor is made in _renegotiations
    return promise


def _open(
    customer_id: int, owner_id: int, rng: random.Random, business: Business, today: dt.date
) -> Promise:
    offset = rng.choice([-3, -1, 0, 0, 1, 1, 2, 4, 7, 12])
    made_on = today - dt.timedelta(days=rng.randint(1, 10) + max(0, -offset))
    due_on = today + dt.timedelta(days=offset)
    promise = Promise(
        customer_id=customer_id,
        owner_id=owner_id,
        what=rng.choice(WHAT),
        status=Status.OPEN,
        source=Source.CUSTOMER_PAGE,
        created_by_id=owner_id,
        created_at=business.start_of(made_on) + dt.timedelta(hours=rng.randint(8, 17)),
    )
    if offset >= 1 and rng.random() < 0.3:
        start = business.start_of(due_on) + dt.timedelta(hours=rng.choice([9, 10, 13, 14]))
        promise.window_start, promise.window_end = start, start + dt.timedelta(hours=2)
    else:
        promise.due_on = due_on
    promise.deadline = deadline_of(promise.due_on, promise.window_end, business)
    return promise


def _renegotiations(
    rows: list[Promise], rng: random.Random, business: Business, today: dt.date
) -> int:
    """Each renegotiated promise gets its successor: a week later, kept or still open."""
    made = 0
    for old in [p for p in rows if p.status == Status.RENEGOTIATED]:
        due_on = old.due_on + dt.timedelta(days=7)
        new = Promise(
            customer_id=old.customer_id,
            owner_id=old.owner_id,
            what=old.what,
            due_on=due_on,
            deadline=deadline_of(due_on, None, business),
            source=old.source,
            created_by_id=old.owner_id,
            created_at=max(old.created_at, business.start_of(old.due_on - dt.timedelta(days=1))),
        )
        if due_on < today:
            new.status = Status.KEPT
            new.kept_at = business.start_of(due_on) + dt.timedelta(hours=rng.randint(9, 16))
        new.save()
        Promise.objects.filter(pk=old.pk).update(renegotiated_to=new)
        made += 1
    return made
