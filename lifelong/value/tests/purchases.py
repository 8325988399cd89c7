"""Purchases in the database for the value tests: a few by hand, or the CDNOW sample."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import numpy as np

from lifelong.accounts.models import Business, User
from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer

from . import cdnow


def make_customers(owner: User, n: int, prefix: str = "C") -> list[Customer]:
    """n plain customers owned by `owner` (bulk-created: no search terms, no emails)."""
    return Customer.objects.bulk_create(
        Customer(owner=owner, first_name=prefix, last_name=f"{i:05d}", sort_name=f"{i:05d}")
        for i in range(n)
    )


def local(
    day: dt.date, hour: int = 12, minute: int = 0, tz: dt.tzinfo | None = None
) -> dt.datetime:
    """An aware datetime on `day` in `tz` (default: the business's time zone)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz or Business.get().tzinfo)


def buy(customer: Customer, when: dt.datetime | dt.date, total: str | float = "10.00") -> Purchase:
    """One purchase; a date means noon that day in the business's time zone."""
    if not isinstance(when, dt.datetime):
        when = local(when)
    return Purchase.objects.create(
        customer=customer, occurred_at=when, total=Decimal(str(total)), currency="EUR"
    )


def bulk_buy(rows: Iterable[tuple[int, dt.datetime, float]]) -> None:
    """Purchases from (customer id, aware datetime, total) rows."""
    Purchase.objects.bulk_create(
        (
            Purchase(customer_id=c, occurred_at=when, total=Decimal(f"{total:.2f}"), currency="EUR")
            for c, when, total in rows
        ),
        batch_size=2000,
    )


def load_cdnow(owner: User) -> dict[int, int]:
    """The CDNOW sample as purchases at noon (business time) on their days.

    Returns {CDNOW sample id: Customer pk}.
    """
    ids, days, dollars = cdnow.transactions()
    sample_ids = np.unique(ids)
    customers = Customer.objects.bulk_create(
        Customer(owner=owner, last_name=f"cdnow {s}", external_id=str(s), sort_name=f"{s:05d}")
        for s in sample_ids.tolist()
    )
    pk = {int(s): c.pk for s, c in zip(sample_ids, customers, strict=True)}
    tz = Business.get().tzinfo
    bulk_buy(
        (pk[int(i)], local(d, tz=tz), float(m))
        for i, d, m in zip(ids.tolist(), days.astype(object), dollars.tolist(), strict=True)
    )
    return pk
