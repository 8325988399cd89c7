"""Unsubscribe and preference pages (public), the outbox and suppression list (staff),
and their API; an outsider gets 404 for messages of others' customers everywhere."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import bearer
from lifelong.customers.models import Customer
from lifelong.outreach import compliance, sending
from lifelong.outreach.models import Message, MessageStatus, Purpose, Suppression
from lifelong.outreach.outbox import enqueue
from lifelong.outreach.tests.conftest import make_program, outgoing

pytestmark = pytest.mark.django_db


@pytest.fixture
def consenting(customer) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(email_consent=True)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def message(consenting, business) -> Message:
    enqueue(make_program(), [outgoing(consenting, to_address="anna@berg.example")], "2025-Q1")
    return Message.objects.get()


def token_for(customer: Customer) -> str:
    return compliance.make_token(customer.pk, "anna@berg.example")


# ---------------------------------------------------------------- unsubscribe


def test_one_click_post_without_cookies_unsubscribes_with_200_and_no_redirect(consenting):
    client = Client(enforce_csrf_checks=True)
    url = reverse("outreach:unsubscribe", args=[token_for(consenting)])
    response = client.post(url, "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert compliance.is_suppressed("ANNA@berg.example")
    assert Suppression.objects.get().reason == "unsubscribed"
    consenting.refresh_from_db()
    assert not consenting.email_consent
    assert consenting.email_consent_source == "unsubscribed by link"
    assert consenting.email_consent_at is not None
    # Twice is harmless.
    assert client.post(url).status_code == 200
    assert Suppression.objects.count() == 1


def test_get_shows_a_confirmation_page_and_changes_nothing(consenting):
    response = Client().get(reverse("outreach:unsubscribe", args=[token_for(consenting)]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "anna@berg.example" in page and '<form method="post"' in page
    assert "csrfmiddlewaretoken" not in page
    assert not Suppression.objects.exists()
    consenting.refresh_from_db()
    assert consenting.email_consent


def test_the_preference_page_shows_the_address_and_unsubscribes_on_post(consenting):
    url = reverse("outreach:preferences", args=[token_for(consenting)])
    page = Client().get(url).content.decode()
    assert "Email preferences" in page and "anna@berg.example" in page
    assert not Suppression.objects.exists()
    assert Client(enforce_csrf_checks=True).post(url).status_code == 200
    assert compliance.is_suppressed("anna@berg.example")


@pytest.mark.parametrize("view", ["outreach:unsubscribe", "outreach:preferences"])
def test_a_bad_or_altered_token_is_404(consenting, view):
    good = token_for(consenting)
    for token in ("nonsense", good[:-2] + ("AA" if not good.endswith("AA") else "BB")):
        assert Client().get(reverse(view, args=[token])).status_code == 404
        assert Client().post(reverse(view, args=[token])).status_code == 404
    assert not Suppression.objects.exists()


def test_after_unsubscribing_the_next_send_is_skipped(smtp_server, message, consenting):
    sending.Worker().run(once=True)
    (received,) = smtp_server.received
    email_url = received.email["List-Unsubscribe"].strip("<>")
    path = email_url.removeprefix("https://crm.example.test")
    assert Client().post(path).status_code == 200

    second = make_program(Purpose.RELATIONSHIP, name="Birthday")
    enqueue(second, [outgoing(consenting, to_address="anna@berg.example")], "2025-06-01")
    assert sending.Worker().run(once=True).skipped == 1
    assert len(smtp_server.received) == 1
    skipped = Message.objects.get(program=second)
    assert skipped.status == MessageStatus.SKIPPED
    assert "suppression list" in skipped.last_error


# ---------------------------------------------------------------- the outbox pages


def test_the_outbox_lists_filters_and_shows_failures(owner_client, rep_client, message):
    Message.objects.update(status=MessageStatus.FAILED, last_error="Refused: DATA: 550 nope")
    for client in (owner_client, rep_client):
        page = client.get(reverse("outreach:outbox")).content.decode()
        assert "News for Anna" in page and "550 nope" in page
    page = owner_client.get(reverse("outreach:outbox") + "?status=sent").content.decode()
    assert "News for Anna" not in page
    page = owner_client.get(reverse("outreach:outbox") + "?cursor=junk").content.decode()
    assert "not valid" in page


def test_the_outbox_pages_through_messages(owner_client, owner, business):
    from lifelong.outreach.tests.conftest import make_customers

    customers = make_customers(owner, 120)
    enqueue(make_program(), [outgoing(c) for c in customers], "x")
    first = owner_client.get(reverse("outreach:outbox"))
    assert len(first.context["page"].items) == 50
    cursor = first.context["page"].next_cursor
    second = owner_client.get(reverse("outreach:outbox"), {"cursor": cursor})
    ids = {m.pk for m in first.context["page"].items} | {m.pk for m in second.context["page"].items}
    assert len(ids) == 100


def test_the_message_page_shows_parts_and_headers_and_retries_a_failure(rep_client, message):
    url = reverse("outreach:message", args=[message.pk])
    page = rep_client.get(url).content.decode()
    assert "List-Unsubscribe" in page and message.message_id.strip("<>") in page
    assert "Dear Anna" in page
    Message.objects.update(status=MessageStatus.FAILED, attempts=3, last_error="550")
    response = rep_client.post(reverse("outreach:message_retry", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)
    rep_client.post(reverse("outreach:message_retry", args=[message.pk]))  # not failed now
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED


def test_an_outsider_gets_404_for_others_messages_everywhere(outsider_client, outsider, message):
    assert outsider_client.get(reverse("outreach:message", args=[message.pk])).status_code == 404
    retry = outsider_client.post(reverse("outreach:message_retry", args=[message.pk]))
    assert retry.status_code == 404
    page = outsider_client.get(reverse("outreach:outbox")).content.decode()
    assert "News for Anna" not in page
    api = Client()
    headers = bearer(outsider)
    assert api.get(f"/api/v1/messages/{message.pk}", headers=headers).status_code == 404
    listing = api.get("/api/v1/messages", headers=headers).json()
    assert listing["items"] == []
    by_customer = api.get(f"/api/v1/messages?customer={message.customer_id}", headers=headers)
    assert by_customer.json()["items"] == []


def test_staff_pages_need_a_login(message):
    for url in (
        reverse("outreach:outbox"),
        reverse("outreach:message", args=[message.pk]),
        reverse("outreach:suppressions"),
    ):
        assert Client().get(url).status_code == 302


# ---------------------------------------------------------------- suppression list


def test_owners_add_and_remove_suppressions_with_a_confirmation(owner_client):
    url = reverse("outreach:suppressions")
    response = owner_client.post(url, {"address": "Someone@Example.com", "note": "asked by phone"})
    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("someone@example.com", "manual")
    assert "someone@example.com" in owner_client.get(url).content.decode()
    assert owner_client.post(url, {"address": "not an address"}).status_code == 200
    remove = reverse("outreach:suppression_remove", args=[suppression.pk])
    confirm = owner_client.get(remove)
    assert confirm.status_code == 200 and Suppression.objects.exists()
    assert owner_client.post(remove).status_code == 302
    assert not Suppression.objects.exists()


def test_reps_may_not_see_or_change_the_suppression_list(rep_client, rep):
    suppression = compliance.suppress("x@example.com", "manual")
    assert rep_client.get(reverse("outreach:suppressions")).status_code == 403
    assert rep_client.post(reverse("outreach:suppressions"), {"address": "y@example.com"}
                           ).status_code == 403  # fmt: skip
    remove = reverse("outreach:suppression_remove", args=[suppression.pk])
    assert rep_client.post(remove).status_code == 403
    headers = bearer(rep)
    api = Client()
    assert api.get("/api/v1/suppressions", headers=headers).status_code == 403
    created = api.post("/api/v1/suppressions", {"address": "y@example.com"},
                       content_type="application/json", headers=headers)  # fmt: skip
    assert created.status_code == 403
    assert api.delete(f"/api/v1/suppressions/{suppression.pk}", headers=headers).status_code == 403
    assert Suppression.objects.count() == 1


# ---------------------------------------------------------------- API


def test_the_api_lists_filters_and_shows_messages(rep, message):
    api, headers = Client(), bearer(rep)
    listing = api.get("/api/v1/messages?status=queued", headers=headers).json()
    assert [m["id"] for m in listing["items"]] == [message.pk]
    assert listing["items"][0]["customer"] == message.customer_id
    assert api.get("/api/v1/messages?status=sent", headers=headers).json()["items"] == []
    detail = api.get(f"/api/v1/messages/{message.pk}", headers=headers).json()
    assert detail["body_text"].startswith("Dear Anna")
    assert detail["message_id"] == message.message_id
    assert api.get("/api/v1/messages?cursor=bad", headers=headers).status_code == 400


def test_the_api_manages_suppressions_for_managers(manager):
    api, headers = Client(), bearer(manager)
    created = api.post("/api/v1/suppressions", {"address": "Z@Example.com", "note": "bounced"},
                       content_type="application/json", headers=headers)  # fmt: skip
    assert created.status_code == 201
    assert created.json()["address"] == "z@example.com"
    bad = api.post("/api/v1/suppressions", {"address": "nope"},
                   content_type="application/json", headers=headers)  # fmt: skip
    assert bad.status_code == 422
    listing = api.get("/api/v1/suppressions", headers=headers).json()
    assert [s["address"] for s in listing["items"]] == ["z@example.com"]
    pk = created.json()["id"]
    assert api.delete(f"/api/v1/suppressions/{pk}", headers=headers).status_code == 204
    assert api.delete(f"/api/v1/suppressions/{pk}", headers=headers).status_code == 404
