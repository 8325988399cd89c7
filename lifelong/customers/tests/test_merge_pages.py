"""The possible-duplicates and merge pages and their API: who may, and what it says."""

import pytest
from django.test import Client

from conftest import bearer
from lifelong.customers.models import Customer, NotDuplicate
from lifelong.customers.services import save_customer
from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(rep):
    a = save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Berg"), emails=["a@berg.se"]
    )
    b = save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Berg", city="Lund"),
        emails=["a@berg.se", "anna@gmail.com"],
    )
    log_touch(b, user=rep, channel="call", summary="Called about the roof")
    return a, b


def test_the_list_page_links_to_duplicates(rep_client):
    assert "/customers/duplicates/" in rep_client.get("/customers/").content.decode()


def test_the_duplicates_page_shows_the_pair_and_why(rep_client, twins):
    a, b = twins
    body = rep_client.get("/customers/duplicates/").content.decode()
    assert "Same email a@berg.se; same name, no company on either" in body
    assert f"/customers/duplicates/{a.pk}/{b.pk}/merge/" in body


def test_the_merge_page_shows_both_records_and_what_moves(rep_client, twins):
    a, b = twins
    body = rep_client.get(f"/customers/duplicates/{a.pk}/{b.pk}/merge/").content.decode()
    assert "Lund" in body and "anna@gmail.com" in body
    assert "<li>1 touch</li>" in body and "<li>2 emails</li>" in body
    assert f'name="keep" value="{a.pk}" checked' in body


def test_merging_keeps_the_chosen_record_and_says_what_moved(rep_client, twins):
    a, b = twins
    response = rep_client.post(f"/customers/duplicates/{a.pk}/{b.pk}/merge/", {"keep": b.pk})
    assert response.status_code == 302 and response.url == f"/customers/{b.pk}/"
    assert not Customer.objects.filter(pk=a.pk).exists()
    page = rep_client.get(response.url).content.decode()
    assert f"Merged Anna Berg (#{a.pk}) into Anna Berg: moved 1 email." in page


def test_not_the_same_person(rep_client, twins):
    a, b = twins
    response = rep_client.post(f"/customers/duplicates/{b.pk}/{a.pk}/dismiss/")
    assert response.status_code == 302
    assert NotDuplicate.objects.filter(a=a, b=b).exists()
    assert "No possible duplicates" in rep_client.get("/customers/duplicates/").content.decode()


def test_a_get_does_not_merge_nor_dismiss(rep_client, twins):
    a, b = twins
    assert rep_client.get(f"/customers/duplicates/{a.pk}/{b.pk}/dismiss/").status_code == 405
    rep_client.get(f"/customers/duplicates/{a.pk}/{b.pk}/merge/?keep={a.pk}")
    assert Customer.objects.count() == 2


def test_the_outsider_gets_404_and_nothing_changes(outsider_client, outsider, twins):
    a, b = twins
    assert (
        "No possible duplicates" in outsider_client.get("/customers/duplicates/").content.decode()
    )
    base = f"/customers/duplicates/{a.pk}/{b.pk}"
    assert outsider_client.get(f"{base}/merge/").status_code == 404
    assert outsider_client.post(f"{base}/merge/", {"keep": a.pk}).status_code == 404
    assert outsider_client.post(f"{base}/dismiss/").status_code == 404
    api = Client(headers=bearer(outsider))
    assert api.get("/api/v1/customers/duplicates").json()["items"] == []
    r = api.post(
        f"/api/v1/customers/{a.pk}/merge", {"other": b.pk}, content_type="application/json"
    )
    assert r.status_code == 404
    mine = save_customer(Customer(owner=outsider, first_name="Anna"), emails=["a@berg.se"])
    r = api.post(
        f"/api/v1/customers/{mine.pk}/merge", {"other": b.pk}, content_type="application/json"
    )
    assert r.status_code == 404
    assert Customer.objects.count() == 3 and Touch.objects.get().customer_id == b.pk
    assert not NotDuplicate.objects.exists()


def test_a_rep_cannot_merge_in_anothers_customer_from_their_own(rep_client, outsider, twins):
    a, _ = twins
    theirs = save_customer(Customer(owner=outsider, first_name="Anna"))
    assert rep_client.get(f"/customers/duplicates/{a.pk}/{theirs.pk}/merge/").status_code == 404


def test_the_api_lists_pairs_and_merges(rep, twins):
    a, b = twins
    api = Client(headers=bearer(rep))
    body = api.get("/api/v1/customers/duplicates").json()
    assert [(p["a"]["id"], p["b"]["id"]) for p in body["items"]] == [(a.pk, b.pk)]
    assert body["items"][0]["reasons"][0] == "same email a@berg.se"
    assert body["next_cursor"] is None
    r = api.post(
        f"/api/v1/customers/{a.pk}/merge", {"other": b.pk}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["customer"]["id"] == a.pk and out["customer"]["city"] == "Lund"
    assert [e["address"] for e in out["customer"]["emails"]] == ["a@berg.se", "anna@gmail.com"]
    assert out["moved"] == {"touches": 1, "emails": 2}
    assert Touch.objects.get().customer_id == a.pk


def test_the_api_refuses_a_merge_with_oneself_and_a_bad_cursor(rep, twins):
    a, _ = twins
    api = Client(headers=bearer(rep))
    r = api.post(
        f"/api/v1/customers/{a.pk}/merge", {"other": a.pk}, content_type="application/json"
    )
    assert r.status_code == 422
    assert api.get("/api/v1/customers/duplicates?cursor=xyz").status_code == 400
