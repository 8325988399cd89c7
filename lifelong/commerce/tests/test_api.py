"""The commerce API: purchases per customer, the catalogue, validation and access."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from conftest import bearer
from lifelong.commerce import services
from lifelong.commerce.models import Product, ProductVersion, Purchase
from lifelong.commerce.services import Line, record_purchase
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def send(user, method: str, path: str, body: dict | None = None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method)("/api/v1" + path, **kwargs)


@pytest.fixture
def printer(db) -> ProductVersion:
    product = services.add_product(name="Office printer", sku="PRN")
    return services.add_version(product, label="P7")


def test_recording_on_a_date_with_lines(rep, customer, printer):
    body = {
        "date": "2025-03-10",
        "lines": [
            {"product_version": printer.pk, "quantity": 2, "amount": "1200.00"},
            {"amount": 49.5},
        ],
        "channel": "online",
        "reference": "ORD-7",
    }
    response = send(rep, "post", f"/customers/{customer.pk}/purchases", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["customer"] == customer.pk
    assert data["total"] == "1249.50"
    assert data["currency"] == "EUR"
    assert data["occurred_at"] == "2025-03-10T11:00:00Z"  # noon in Stockholm
    assert data["channel"] == "online" and data["reference"] == "ORD-7"
    assert data["lines"][0] == {
        "id": data["lines"][0]["id"],
        "product_version": {
            "id": printer.pk,
            "label": "P7",
            "product": {"id": printer.product_id, "name": "Office printer", "sku": "PRN"},
        },
        "quantity": 2,
        "amount": "1200.00",
    }
    assert data["lines"][1]["product_version"] is None
    assert Purchase.objects.get().total == Decimal("1249.50")


def test_recording_at_a_time_with_a_total(rep, customer):
    body = {"occurred_at": "2025-03-01T18:30:00+01:00", "total": "10", "currency": "sek"}
    data = send(rep, "post", f"/customers/{customer.pk}/purchases", body).json()
    assert data["occurred_at"] == "2025-03-01T17:30:00Z"
    assert (data["total"], data["currency"], data["lines"]) == ("10.00", "SEK", [])


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"total": "5"}, ["occurred_at"]),
        (
            {"date": "2025-01-01", "occurred_at": "2025-01-01T10:00:00Z", "total": 1},
            ["occurred_at"],
        ),
        ({"date": "2025-03-15", "total": "5"}, ["occurred_at"]),
        ({"date": "2025-01-01"}, ["total"]),
        ({"date": "2025-01-01", "total": "-1"}, ["total"]),
        ({"date": "2025-01-01", "total": "1.005"}, ["total"]),
        ({"date": "2025-01-01", "total": "2", "lines": [{"amount": "1"}]}, ["total"]),
        ({"date": "2025-01-01", "lines": [{"amount": "-1"}]}, ["lines.0.amount"]),
        ({"date": "2025-01-01", "lines": [{"amount": "1", "quantity": 0}]}, ["lines.0.quantity"]),
        (
            {"date": "2025-01-01", "lines": [{"amount": "1", "product_version": 999}]},
            ["lines.0.product_version"],
        ),
        ({"date": "2025-01-01", "total": "1", "currency": "euro"}, ["currency"]),
        ({"date": "2025-01-01", "total": "1", "channel": "pigeon"}, ["channel"]),
        ({"date": "2025-01-01", "total": "1", "reference": "x" * 101}, ["reference"]),
        ({"date": "not a date", "total": "1"}, ["date"]),
        ({"occurred_at": "2025-01-01T10:00:00", "total": "1"}, ["occurred_at"]),  # no offset
        ({"date": "2025-01-01", "total": "abc"}, ["total"]),
    ],
)
def test_validation_names_the_fields(rep, customer, body, fields):
    response = send(rep, "post", f"/customers/{customer.pk}/purchases", body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == fields
    assert all(d["message"] for d in detail)
    assert not Purchase.objects.exists()


def test_the_history_in_pages_then_one_then_deleted(rep, customer):
    made = [
        record_purchase(customer, occurred_at=dt.date(2024, 5, 1) + dt.timedelta(days=i), total=i)
        for i in range(5)
    ]
    url = f"/customers/{customer.pk}/purchases"
    first = send(rep, "get", f"{url}?limit=3").json()
    assert [p["id"] for p in first["items"]] == [p.pk for p in reversed(made[2:])]
    second = send(rep, "get", f"{url}?limit=3&cursor={first['next_cursor']}").json()
    assert [p["id"] for p in second["items"]] == [made[1].pk, made[0].pk]
    assert second["next_cursor"] is None
    assert send(rep, "get", f"{url}?cursor=nonsense").status_code == 400

    one = send(rep, "get", f"{url}/{made[0].pk}").json()
    assert one["total"] == "0.00"
    assert send(rep, "delete", f"{url}/{made[0].pk}").status_code == 204
    assert send(rep, "get", f"{url}/{made[0].pk}").status_code == 404
    assert Purchase.objects.count() == 4


# ---------------------------------------------------------------- access


@pytest.fixture
def records(customer):
    purchase = record_purchase(customer, occurred_at=dt.date(2025, 1, 1), total="10")
    return {"c": customer.pk, "p": purchase.pk}


OPERATIONS = [
    ("get", "/customers/{c}/purchases", None),
    ("post", "/customers/{c}/purchases", {"date": "2025-01-02", "total": "1"}),
    ("get", "/customers/{c}/purchases/{p}", None),
    ("delete", "/customers/{c}/purchases/{p}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_the_outsider_gets_404(outsider, records, customer, method, path, body):
    response = send(outsider, method, path.format(**records), body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}
    assert list(customer.purchases.values_list("pk", flat=True)) == [records["p"]]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_the_owning_rep_and_a_manager_are_let_in(rep, manager, records, method, path, body):
    assert send(rep, method, path.format(**records), body).status_code in (200, 201, 204)
    if method != "delete":
        assert send(manager, method, path.format(**records), body).status_code in (200, 201)


def test_a_purchase_of_another_customer_is_404_through_this_one(rep, records):
    mine_too = save_customer(Customer(owner=rep, first_name="Second"))
    response = send(rep, "get", f"/customers/{mine_too.pk}/purchases/{records['p']}")
    assert response.status_code == 404


def test_without_a_token_it_is_401(customer):
    assert Client().get(f"/api/v1/customers/{customer.pk}/purchases").status_code == 401
    assert Client().get("/api/v1/products").status_code == 401


# ---------------------------------------------------------------- products


def test_the_catalogue_with_owner_counts(rep, customer, printer):
    record_purchase(customer, occurred_at=dt.date(2025, 1, 1), lines=[Line("5", 1, printer)])
    data = send(rep, "get", "/products").json()
    assert data == [
        {
            "id": printer.product_id,
            "name": "Office printer",
            "sku": "PRN",
            "category": "",
            "created_at": data[0]["created_at"],
            "versions": [
                {
                    "id": printer.pk,
                    "label": "P7",
                    "released_on": None,
                    "supersedes": None,
                    "owners": 1,
                }
            ],
        }
    ]


def test_a_rep_may_not_add_products_or_versions(rep, printer):
    response = send(rep, "post", "/products", {"name": "Hacked"})
    assert response.status_code == 403
    assert "owners and managers" in response.json()["detail"]
    response = send(rep, "post", f"/products/{printer.product_id}/versions", {"label": "X"})
    assert response.status_code == 403
    assert Product.objects.count() == 1 and ProductVersion.objects.count() == 1


def test_a_manager_adds_a_product_and_its_versions(manager):
    response = send(
        manager, "post", "/products", {"name": " Camera ", "sku": "CAM", "category": "Hardware"}
    )
    assert response.status_code == 201, response.content
    product = response.json()
    assert (product["name"], product["sku"], product["versions"]) == ("Camera", "CAM", [])
    url = f"/products/{product['id']}/versions"
    c3 = send(manager, "post", url, {"label": "C300", "released_on": "2023-04-15"}).json()
    assert c3["supersedes"] is None
    c4 = send(manager, "post", url, {"label": "C400"}).json()
    assert c4["supersedes"] == c3["id"]  # the latest by default
    loose = send(manager, "post", url, {"label": "C-special", "supersedes": None}).json()
    assert loose["supersedes"] is None
    explicit = send(manager, "post", url, {"label": "C310", "supersedes": c3["id"]}).json()
    assert explicit["supersedes"] == c3["id"]

    again = send(manager, "post", url, {"label": "C400"})
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "label"
    duplicate = send(manager, "post", "/products", {"name": "Other", "sku": "CAM"})
    assert duplicate.status_code == 422
    assert duplicate.json()["detail"][0]["field"] == "sku"
    assert send(manager, "post", "/products/9999/versions", {"label": "1"}).status_code == 404


def test_supersedes_must_be_a_version_of_the_same_product(owner, printer):
    other = services.add_product(name="Other")
    response = send(
        owner, "post", f"/products/{other.pk}/versions", {"label": "1", "supersedes": printer.pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "supersedes", "message": f"Other has no version with id {printer.pk}."}
    ]
