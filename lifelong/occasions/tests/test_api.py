"""The occasions API: upcoming, a customer's dates, add and delete; outsiders get 404."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from conftest import bearer
from lifelong.occasions.models import Kind, Occasion
from lifelong.occasions.tests.conftest import add_child

NOW = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_it_lists_adds_and_deletes_a_customers_dates(customer, rep):
    headers = bearer(rep)
    client = Client()
    add_child(customer, "Emma", "2012-11-27")
    url = f"/api/v1/customers/{customer.pk}/occasions"
    made = client.post(
        url,
        {"kind": "one_off", "label": "Contract ends", "date": "2026-12-01"},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201, made.content
    assert made.json()["next_on"] == "2026-12-01"
    listed = client.get(url, headers=headers).json()
    assert [(o["title"], o["next_on"], o["derived"]) for o in listed] == [
        ("Emma's birthday (child)", "2026-11-27", True),
        ("Contract ends", "2026-12-01", False),
    ]
    gone = client.delete(f"/api/v1/occasions/{made.json()['id']}", headers=headers)
    assert gone.status_code == 204
    derived = Occasion.objects.get(kind=Kind.RELATIVE_BIRTHDAY)
    refused = client.delete(f"/api/v1/occasions/{derived.pk}", headers=headers)
    assert refused.status_code == 409
    assert "family member" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "one_off", "label": "Call", "date": "--12-01"}, "date"),
        ({"kind": "custom", "label": "Call", "date": "2026-02-30"}, "date"),
        ({"kind": "custom", "label": " ", "date": "--12-01"}, "label"),
        ({"kind": "birthday", "label": "Call", "date": "--12-01"}, "kind"),
    ],
)
def test_bad_dates_are_422_with_the_field(customer, rep, payload, field):
    response = Client().post(
        f"/api/v1/customers/{customer.pk}/occasions",
        payload,
        content_type="application/json",
        headers=bearer(rep),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == [field]


def test_upcoming_lists_what_needs_attention(customer, rep, outsider):
    add_child(customer, "Emma", "2012-11-27")
    found = Client().get("/api/v1/occasions/upcoming", headers=bearer(rep)).json()
    assert [(u["title"], u["on"], u["years"], u["customer_name"]) for u in found] == [
        ("Emma's birthday (child)", "2026-11-27", 14, "Anna Berg")
    ]
    assert found[0]["key"].endswith(":2026-11-27")
    assert Client().get("/api/v1/occasions/upcoming", headers=bearer(outsider)).json() == []


def test_outsider_gets_404_everywhere(customer, rep, outsider):
    occasion = Occasion.objects.create(
        customer=customer, kind=Kind.CUSTOM, month=1, day=2, label="x"
    )
    headers = bearer(outsider)
    client = Client()
    url = f"/api/v1/customers/{customer.pk}/occasions"
    assert client.get(url, headers=headers).status_code == 404
    payload = {"kind": "custom", "label": "x", "date": "--01-01"}
    assert (
        client.post(url, payload, content_type="application/json", headers=headers).status_code
        == 404
    )
    assert client.delete(f"/api/v1/occasions/{occasion.pk}", headers=headers).status_code == 404
    assert Occasion.objects.filter(pk=occasion.pk).exists()
