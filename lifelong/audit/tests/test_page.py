"""The audit log page: owners only, newest first, filters, 50 a page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from lifelong.audit.log import record
from lifelong.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = reverse("audit:log")
UTC = dt.UTC


def rows(response) -> int:
    return response.content.decode().count("<tr>") - 1  # minus the header row


def test_the_owner_sees_events_newest_first(owner_client, owner, rep, customer):
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=UTC), tick=False):
        record(rep, "view", customer_id=customer.pk, target="customer")
    with time_machine.travel(dt.datetime(2025, 3, 2, 9, tzinfo=UTC), tick=False):
        record(None, "export", target="export all", via="cli")
    response = owner_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    table = body[body.index("<tbody>") :]
    assert table.index("export all") < table.index("ruben")
    assert f'href="/customers/{customer.pk}/"' in body
    assert "system" in body and "Command line" in body
    # The owner's navigation leads here.
    assert f'href="{URL}"' in owner_client.get(reverse("accounts:settings")).content.decode()


@pytest.mark.parametrize("who", ["rep", "manager", "outsider"])
def test_everybody_but_the_owner_is_refused(request, who, owner, customer):
    from conftest import client_for

    record(owner, "view", customer_id=customer.pk, target="customer")
    client = client_for(request.getfixturevalue(who))
    for query in ("", f"?customer={customer.pk}", "?user=olivia", "?cursor=abc"):
        response = client.get(URL + query)
        assert response.status_code == 403
        assert "olivia" not in response.content.decode()
    assert client.post(URL).status_code == 403
    # And no link to it in their navigation.
    assert URL not in client.get(reverse("customers:list")).content.decode()


def test_logged_out_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_filters(owner_client, owner, rep, customer):
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, tzinfo=UTC), tick=False):
        record(rep, "view", customer_id=customer.pk, target="customer")
    with time_machine.travel(dt.datetime(2025, 3, 5, 12, tzinfo=UTC), tick=False):
        record(owner, "change", customer_id=customer.pk, target="customer.relatives")
        record(owner, "view", customer_id=999, target="customer")
        record(None, "export", target="export all", via="cli")

    def shown(query: str) -> int:
        response = owner_client.get(URL + query)
        assert response.status_code == 200
        return rows(response)

    assert shown("") == 4
    assert shown("?action=view") == 2
    assert shown("?user=ruben") == 1
    assert shown("?user=-") == 1  # the system
    assert shown(f"?customer={customer.pk}") == 2
    assert shown("?customer=999") == 1
    assert shown("?since=2025-03-02") == 3
    assert shown("?until=2025-03-01") == 1
    assert shown("?since=2025-03-01&until=2025-03-01&action=view&user=ruben") == 1
    empty = owner_client.get(URL + "?action=erase").content.decode()
    assert "No events match these filters" in empty
    # #999 is not a customer (any more): a number, not a link.
    assert "#999 <span" in owner_client.get(URL + "?customer=999").content.decode()


def test_invalid_filters_are_explained_and_left_out(owner_client, owner):
    record(owner, "view", customer_id=1, target="customer")
    response = owner_client.get(URL + "?customer=abc&since=2025-03-09&until=2025-03-01")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a whole number." in body
    assert "The end date is before the start date." in body
    response = owner_client.get(URL + "?action=peek")
    assert "Select a valid choice" in response.content.decode()
    assert rows(response) == 1


def test_pages_of_fifty_newest_first(owner_client, owner):
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    AuditEvent.objects.bulk_create(
        AuditEvent(at=start + dt.timedelta(minutes=i), actor_name="olivia", action="view",
                   customer_id=i, target="customer")
        for i in range(1, 121)
    )  # fmt: skip
    first = owner_client.get(URL)
    assert rows(first) == 50
    assert first.context["page"].items[0].customer_id == 120
    seen = [e.customer_id for e in first.context["page"].items]
    cursor = first.context["page"].next_cursor
    while cursor:
        page = owner_client.get(URL, {"cursor": cursor}).context["page"]
        seen += [e.customer_id for e in page.items]
        cursor = page.next_cursor
    assert seen == list(range(120, 0, -1))
    # A cursor that was not made here starts again from the newest.
    response = owner_client.get(URL + "?cursor=nonsense")
    assert "not valid" in response.content.decode()
    assert rows(response) == 50


def test_empty_state(owner_client):
    body = owner_client.get(URL).content.decode()
    assert "Nothing recorded yet" in body
    assert "<table" not in body
