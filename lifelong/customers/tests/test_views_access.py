"""Every customer, relative and touch page is 404 for a rep who does not own the customer."""

import pytest
from django.urls import reverse

from conftest import client_for
from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import save_customer
from lifelong.touches.services import log_touch


@pytest.fixture
def relative(customer):
    return Relative.objects.create(customer=customer, name="Erik", relationship="child")


@pytest.fixture
def touch(customer, rep):
    return log_touch(customer, user=rep, channel="call", summary="Spring order")


@pytest.fixture
def urls(customer, relative, touch) -> dict[str, str]:
    question = ProfileQuestion.objects.filter(hidden=False).first()
    c = customer.pk
    return {
        "detail": reverse("customers:detail", args=[c]),
        "edit": reverse("customers:edit", args=[c]),
        "archive": reverse("customers:archive", args=[c]),
        "restore": reverse("customers:restore", args=[c]),
        "answer": reverse("customers:answer", args=[c, question.pk]),
        "answer_edit": reverse("customers:answer_edit", args=[c, question.pk]),
        "relative_new": reverse("customers:relative_new", args=[c]),
        "relative_edit": reverse("customers:relative_edit", args=[c, relative.pk]),
        "relative_delete": reverse("customers:relative_delete", args=[c, relative.pk]),
        "touch_log": reverse("touches:log", args=[c]),
        "timeline": reverse("touches:timeline", args=[c]),
        "touch_edit": reverse("touches:edit", args=[c, touch.pk]),
        "touch_delete": reverse("touches:delete", args=[c, touch.pk]),
    }


ALL = [
    "detail",
    "edit",
    "archive",
    "answer",
    "answer_edit",
    "relative_new",
    "relative_edit",
    "relative_delete",
    "touch_log",
    "timeline",
    "touch_edit",
    "touch_delete",
]
POSTS = [
    "edit",
    "archive",
    "restore",
    "answer_edit",
    "relative_new",
    "relative_edit",
    "relative_delete",
    "touch_log",
    "touch_edit",
    "touch_delete",
]


@pytest.mark.parametrize("name", ALL)
def test_outsider_gets_404_on_get(outsider_client, urls, name):
    assert outsider_client.get(urls[name]).status_code == 404


@pytest.mark.parametrize("name", POSTS)
def test_outsider_gets_404_on_post(outsider_client, urls, name, customer, relative, touch):
    response = outsider_client.post(urls[name], {"summary": "x", "name": "x", "value": "x"})
    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.archived_at is None
    assert Relative.objects.filter(pk=relative.pk).exists()
    assert customer.touches.filter(pk=touch.pk).exists()


@pytest.mark.parametrize("name", ALL)
def test_owner_of_customer_can_open(rep_client, urls, name):
    response = rep_client.get(urls[name], headers={"HX-Request": "true"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["detail", "edit", "relative_edit", "touch_edit"])
def test_manager_sees_any_customer(manager, urls, name):
    assert client_for(manager).get(urls[name]).status_code == 200


@pytest.mark.parametrize("name", ALL)
def test_anonymous_is_sent_to_login(client, urls, name):
    response = client.get(urls[name])
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_relative_of_another_customer_is_404(rep_client, rep, customer, relative):
    other = save_customer(Customer(owner=rep, first_name="Bo"))
    url = reverse("customers:relative_edit", args=[other.pk, relative.pk])
    assert rep_client.get(url).status_code == 404


def test_touch_of_another_customer_is_404(rep_client, rep, customer, touch):
    other = save_customer(Customer(owner=rep, first_name="Bo"))
    assert rep_client.get(reverse("touches:edit", args=[other.pk, touch.pk])).status_code == 404
    assert rep_client.post(reverse("touches:delete", args=[other.pk, touch.pk])).status_code == 404
