import datetime as dt
from decimal import Decimal

import pytest

from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.value.records import ValueSnapshot


def make_customer(owner, first: str, last: str = "", **extra) -> Customer:
    return save_customer(Customer(owner=owner, first_name=first, last_name=last, **extra))


def snapshot(customer: Customer, revenue: str, clv_2y: float | None) -> ValueSnapshot:
    today = dt.date(2025, 1, 1)
    return ValueSnapshot.objects.create(
        customer=customer, revenue=Decimal(revenue), clv_2y=clv_2y, purchase_count=2,
        purchase_days=2, first_purchase_on=today, last_purchase_on=today, recency_score=3,
        frequency_score=3, monetary_score=3, rfm_cell="333", tier="B",
    )  # fmt: skip


@pytest.fixture
def nils(rep) -> Customer:
    return make_customer(rep, "Nils", "Holm", status="prospect")


@pytest.fixture
def theirs(outsider) -> Customer:
    return make_customer(outsider, "Olle", "Other")
