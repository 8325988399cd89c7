import datetime as dt

import pytest

from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import save_customer, set_answer


@pytest.fixture
def birthday_question(db) -> ProfileQuestion:
    question, _ = ProfileQuestion.objects.get_or_create(
        key="birthday", defaults={"section": "personal", "text": "Birthday", "kind": "date"}
    )
    return question


@pytest.fixture
def wedding_question(db) -> ProfileQuestion:
    question, _ = ProfileQuestion.objects.get_or_create(
        key="wedding_anniversary",
        defaults={"section": "family", "text": "Wedding anniversary", "kind": "date"},
    )
    return question


def make_customer(owner, first: str, last: str, **extra) -> Customer:
    return save_customer(Customer(owner=owner, first_name=first, last_name=last, **extra))


def with_birthday(customer: Customer, question: ProfileQuestion, value: str) -> Customer:
    set_answer(customer, question, value, by=None)
    return customer


def add_child(customer: Customer, name: str, birthday: str | None) -> Relative:
    return Relative.objects.create(
        customer=customer, name=name, relationship="child", birthday=birthday
    )


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
