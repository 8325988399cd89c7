"""The customer list: who sees what, search, filters, empty states and keyset pages."""

import pytest
from django.urls import reverse

from conftest import client_for
from lifelong.customers.models import Customer
from lifelong.customers.services import archive_customer, save_customer

LIST = reverse("customers:list")


def make(owner, first, last="", **extra) -> Customer:
    emails = extra.pop("emails", None)
    tags = extra.pop("tags", None)
    return save_customer(
        Customer(owner=owner, first_name=first, last_name=last, **extra), emails=emails, tags=tags
    )


@pytest.fixture
def others(outsider):
    return [make(outsider, "Olle", "Other"), make(outsider, "Oskar", "Other")]


def test_rep_sees_only_own_customers(rep_client, customer, others):
    body = rep_client.get(LIST).content.decode()
    assert "Anna Berg" in body
    assert "Olle Other" not in body


def test_manager_sees_all_customers(manager, customer, others):
    body = client_for(manager).get(LIST).content.decode()
    assert "Anna Berg" in body
    assert "Olle Other" in body
    assert "Oskar Other" in body


def test_owner_filter_only_for_those_who_see_all(rep_client, manager, customer):
    assert 'name="owner"' not in rep_client.get(LIST).content.decode()
    assert 'name="owner"' in client_for(manager).get(LIST).content.decode()


def test_owner_filter_narrows(manager, rep, customer, others):
    body = client_for(manager).get(LIST, {"owner": rep.pk}).content.decode()
    assert "Anna Berg" in body
    assert "Olle Other" not in body


def test_list_shows_columns(rep_client, customer):
    body = rep_client.get(LIST).content.decode()
    assert "anna@berg.example" in body
    assert "+46 70 123 45 67" in body
    assert "Berg Bygg AB" in body
    assert "vip" in body
    assert "Never" in body  # not touched yet


@pytest.mark.parametrize("q", ["anna", "BERG", "anna@berg", "070-123 45 67", "bygg"])
def test_search_finds_by_name_email_phone_company(rep_client, customer, q):
    make(customer.owner, "Zed", "Zulu")
    body = rep_client.get(LIST, {"q": q}).content.decode()
    assert "Anna Berg" in body
    assert "Zed" not in body


def test_filter_by_tag_and_status(rep_client, rep, customer):
    make(rep, "Pia", "Prospect", status="prospect", tags=["newsletter"])
    body = rep_client.get(LIST, {"tag": "newsletter"}).content.decode()
    assert "Pia Prospect" in body and "Anna Berg" not in body
    body = rep_client.get(LIST, {"status": "customer"}).content.decode()
    assert "Anna Berg" in body and "Pia Prospect" not in body


def test_no_customers_yet_invites_to_create_one(rep_client):
    body = rep_client.get(LIST).content.decode()
    assert "No customers yet" in body
    assert reverse("customers:new") in body


def test_no_results_offers_to_clear_filters(rep_client, customer):
    body = rep_client.get(LIST, {"q": "nobodyhere"}).content.decode()
    assert "No customers match" in body
    assert "Clear search and filters" in body


def test_archived_customers_only_under_archived(rep_client, customer):
    archive_customer(customer)
    assert "Anna Berg" not in rep_client.get(LIST).content.decode()
    assert "Anna Berg" in rep_client.get(LIST, {"archived": "1"}).content.decode()


def test_htmx_search_returns_results_partial(rep_client, customer):
    response = rep_client.get(
        LIST, {"q": "anna"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = response.content.decode()
    assert "Anna Berg" in body
    assert "<html" not in body


def test_next_page_link_carries_cursor(rep_client, rep):
    for i in range(55):
        make(rep, f"Person{i:02d}", "Same")
    first = rep_client.get(LIST)
    cursor = first.context["page"].next_cursor
    assert cursor
    assert f"cursor={cursor}" in first.content.decode()
    shown_first = {c.pk for c in first.context["page"].items}
    second = rep_client.get(LIST, {"cursor": cursor})
    shown_second = {c.pk for c in second.context["page"].items}
    assert len(shown_first) == 50
    assert len(shown_second) == 5
    assert not shown_first & shown_second
    assert second.context["page"].next_cursor is None
    assert "First page" in second.content.decode()


def test_bad_cursor_says_so_and_shows_first_page(rep_client, customer):
    response = rep_client.get(LIST, {"cursor": "not-a-cursor!"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "cursor is not valid" in body
    assert "Anna Berg" in body


def test_list_costs_the_same_queries_for_many_customers(
    rep_client, rep, django_assert_max_num_queries
):
    for i in range(60):
        make(rep, f"P{i:02d}", "Same", emails=[f"p{i}@x.example"], tags=["a", "b"])
    rep_client.get(LIST)  # the first request after login also writes the session
    with django_assert_max_num_queries(12):
        assert rep_client.get(LIST).status_code == 200


def test_list_varies_on_htmx_headers(rep_client, customer):
    assert "HX-Request" in rep_client.get(LIST)["Vary"]


def test_the_list_shows_two_tags_and_counts_the_rest(owner_client, customer):
    from lifelong.customers.services import set_tags

    set_tags(customer, ["a", "b", "c", "d"])
    html = owner_client.get("/customers/").content.decode()
    assert ">a</a>" in html and ">b</a>" in html and ">c</a>" not in html
    assert ">+2</span>" in html


def test_last_touched_shows_only_its_largest_unit(owner_client, customer, rep):
    import datetime as dt

    from django.utils import timezone

    from lifelong.touches.services import log_touch

    log_touch(customer, user=rep, channel="call", summary="x",
              occurred_at=timezone.now() - dt.timedelta(days=100))  # fmt: skip
    html = owner_client.get("/customers/").content.decode()
    assert "3\xa0months ago" in html and "3\xa0months, " not in html
