"""Demo extras: three extras, the rule "tier A, order at least 2x their average -> free
delivery", and a few extras given (the lead's demo.py calls add_demo_extras)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer
from lifelong.extras.models import Extra, ExtraGiven, ExtraRule


def add_demo_extras(customers: Sequence[Customer], rng: random.Random, today: dt.date) -> int:
    """Create the demo extras and rule, and give extras to a few of `customers` in the last
    year; returns how many were given. Written directly (no touches, no suggestions)."""
    delivery = Extra.objects.create(name="Free delivery", cost=Decimal("15.00"))
    warranty = Extra.objects.create(name="Extended warranty", cost=Decimal("40.00"))
    gift = Extra.objects.create(name="A gift", cost=Decimal("25.00"))
    ExtraRule.objects.create(
        name="Big order from a tier A customer", tier_in=["A"], order_multiple=Decimal(2),
        extra=delivery,
    )  # fmt: skip
    business = Business.get()
    chosen = rng.sample(list(customers), min(len(customers), max(1, len(customers) // 40)))
    given = []
    for customer in chosen:
        extra = rng.choice([delivery, warranty, gift])
        day = today - dt.timedelta(days=rng.randrange(7, 365))
        given.append(
            ExtraGiven(
                customer=customer, extra=extra, cost=extra.cost,
                given_at=business.start_of(day) + dt.timedelta(hours=rng.randrange(9, 17)),
                given_by=customer.owner, note="Thank you for being a regular",
            )
        )  # fmt: skip
    ExtraGiven.objects.bulk_create(given)
    return len(given)
