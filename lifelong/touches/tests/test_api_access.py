"""Somebody else's customer is a 404 on every customer-scoped API operation."""

import pytest
from django.test import Client

from conftest import bearer
from lifelong.customers.models import Customer, ProfileAnswer, Relative
from lifelong.customers.services import save_customer
from lifelong.touches.services import log_touch

# (method, path, body); {c} is the customer, {r} a relative, {t} a touch.
OPERATIONS = [
    ("get", "/customers/{c}", None),
    ("patch", "/customers/{c}", {"first_name": "Hacked"}),
    ("put", "/customers/{c}", {"first_name": "Hacked"}),
    ("delete", "/customers/{c}", None),
    ("post", "/customers/{c}/restore", None),
    ("get", "/customers/{c}/relatives", None),
    ("post", "/customers/{c}/relatives", {"name": "Eve", "relationship": "child"}),
    ("get", "/customers/{c}/relatives/{r}", None),
    ("patch", "/customers/{c}/relatives/{r}", {"name": "Eve"}),
    ("delete", "/customers/{c}/relatives/{r}", None),
    ("get", "/customers/{c}/profile", None),
    ("put", "/customers/{c}/profile/birthday", {"value": "--01-01"}),
    ("get", "/customers/{c}/touches", None),
    ("post", "/customers/{c}/touches", {"channel": "call", "summary": "Hacked"}),
    ("get", "/customers/{c}/touches/{t}", None),
    ("patch", "/customers/{c}/touches/{t}", {"summary": "Hacked"}),
    ("delete", "/customers/{c}/touches/{t}", None),
]


@pytest.fixture
def records(customer, rep):
    relative = Relative.objects.create(customer=customer, name="Bo", relationship="child")
    touch = log_touch(customer, user=rep, channel="call", summary="Hello")
    return {"c": customer.pk, "r": relative.pk, "t": touch.pk}


def send(user, method: str, path: str, body: dict | None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method)("/api/v1" + path, **kwargs)


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_the_outsider_gets_404(outsider, records, customer, method, path, body):
    response = send(outsider, method, path.format(**records), body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}

    customer.refresh_from_db()
    assert customer.first_name == "Anna"
    assert customer.archived_at is None
    assert customer.relatives.get().name == "Bo"
    assert customer.touches.get().summary == "Hello"
    assert not ProfileAnswer.objects.exists()


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_an_unknown_id_looks_the_same(rep, records, method, path, body):
    unknown = {"c": 99999, "r": records["r"], "t": records["t"]}
    response = send(rep, method, path.format(**unknown), body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_the_owning_rep_is_let_in(rep, records, method, path, body):
    assert send(rep, method, path.format(**records), body).status_code in (200, 201, 204)


@pytest.mark.parametrize(
    "path",
    ["/customers/{c}/relatives/{r}", "/customers/{c}/touches/{t}"],
    ids=["relative", "touch"],
)
def test_a_record_of_another_customer_is_404_through_this_one(rep, records, path):
    mine_too = save_customer(Customer(owner=rep, first_name="Second"))
    response = send(rep, "get", path.format(c=mine_too.pk, r=records["r"], t=records["t"]), None)
    assert response.status_code == 404
