"""The relatives API: a customer's family, with birthdays that may lack the year."""

import pytest
from django.test import Client

from conftest import bearer
from lifelong.customers.models import Relative
from lifelong.customers.partial_dates import PartialDate


def send(user, method: str, path: str, body: dict | None = None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method)(path, **kwargs)


@pytest.fixture
def url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/relatives"


def test_relatives_crud(rep, customer, url):
    response = send(
        rep, "post", url, {"name": " Bo ", "relationship": "child", "birthday": "2015-06-01"}
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Bo"
    assert created["birthday"] == "2015-06-01"
    rid = created["id"]

    listed = send(rep, "get", url).json()
    assert [r["id"] for r in listed] == [rid]
    assert send(rep, "get", f"{url}/{rid}").json() == created

    response = send(rep, "patch", f"{url}/{rid}", {"birthday": "--06-01", "notes": "Loves Lego"})
    assert response.status_code == 200
    assert response.json()["birthday"] == "--06-01"
    assert response.json()["name"] == "Bo"
    relative = Relative.objects.get(pk=rid)
    assert relative.birthday == PartialDate(month=6, day=1)
    assert relative.notes == "Loves Lego"

    response = send(rep, "patch", f"{url}/{rid}", {"birthday": None})
    assert response.json()["birthday"] is None

    response = send(rep, "delete", f"{url}/{rid}")
    assert response.status_code == 204
    assert not Relative.objects.exists()
    assert send(rep, "get", f"{url}/{rid}").status_code == 404


@pytest.mark.parametrize("birthday", ["2015-02-30", "June 1st", "--13-01", "01/06/2015"])
def test_a_bad_birthday_is_a_422(rep, url, birthday):
    response = send(rep, "post", url, {"name": "Bo", "relationship": "child", "birthday": birthday})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == ["birthday"]
    assert not Relative.objects.exists()


def test_a_relative_needs_a_name_and_a_known_relationship(rep, url):
    response = send(rep, "post", url, {"name": "", "relationship": "cousin"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["detail"]} == {"relationship"}
    response = send(rep, "post", url, {"name": "  ", "relationship": "sibling"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["detail"]} == {"name"}


def test_a_year_free_birthday_is_kept_as_given(rep, url):
    body = {"name": "Mia", "relationship": "spouse", "birthday": "--02-29"}
    assert send(rep, "post", url, body).json()["birthday"] == "--02-29"
