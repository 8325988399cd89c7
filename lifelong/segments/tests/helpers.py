"""Customers with purchases, touches and birthdays, for the segment tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lifelong.accounts.models import User
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.customers.models import Customer, ProfileAnswer, ProfileQuestion
from lifelong.customers.services import save_customer

UTC = dt.UTC


def person(owner: User, first: str, **fields) -> Customer:
    tags = fields.pop("tags", [])
    return save_customer(
        Customer(owner=owner, first_name=first, last_name="Test", **fields), tags=tags
    )


def buy(customer: Customer, when: dt.datetime, version: ProductVersion | None = None) -> Purchase:
    purchase = Purchase.objects.create(
        customer=customer, occurred_at=when, total=Decimal(10), currency="EUR"
    )
    if version is not None:
        PurchaseLine.objects.create(
            purchase=purchase, customer=customer, product_version=version, amount=Decimal(10)
        )
    return purchase


def product(name: str, *labels: str) -> tuple[Product, list[ProductVersion]]:
    p = Product.objects.create(name=name)
    return p, [ProductVersion.objects.create(product=p, label=label) for label in labels]


def birthday(customer: Customer, value: str) -> None:
    question, _ = ProfileQuestion.objects.get_or_create(
        key="birthday", defaults={"section": "personal", "text": "Birthday", "kind": "date"}
    )
    ProfileAnswer.objects.update_or_create(
        customer=customer, question=question, defaults={"value": value}
    )
