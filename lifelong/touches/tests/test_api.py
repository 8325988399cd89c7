"""The touches API: logging contact, the timeline in pages, edits that keep last_touched_at."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import bearer
from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch


def send(user, method: str, path: str, body: dict | None = None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method)(path, **kwargs)


@pytest.fixture
def url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/touches"


def test_logging_a_touch_moves_the_last_touch(rep, customer, url):
    response = send(rep, "post", url, {"channel": "call", "summary": " Asked about the order "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"] == "Asked about the order"
    assert body["user"] == {"id": rep.pk, "username": "ruben"}
    assert body["customer"] == customer.pk
    assert body["direction"] == "outbound"
    customer.refresh_from_db()
    assert customer.last_touched_at == Touch.objects.get().occurred_at
    detail = send(rep, "get", f"/api/v1/customers/{customer.pk}").json()
    assert detail["last_touched_at"] is not None


def test_a_touch_in_the_past_keeps_a_newer_last_touch(rep, customer, url):
    send(rep, "post", url, {"channel": "email", "summary": "Now"})
    customer.refresh_from_db()
    latest = customer.last_touched_at
    response = send(
        rep,
        "post",
        url,
        {"channel": "visit", "summary": "Last spring", "occurred_at": "2024-04-01T10:00:00+02:00"},
    )
    assert response.status_code == 201
    assert response.json()["occurred_at"].startswith("2024-04-01T08:00:00")
    customer.refresh_from_db()
    assert customer.last_touched_at == latest


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "call", "summary": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"channel": "call", "summary": "x", "occurred_at": "2024-01-01T00:00:00"}, "occurred_at"),
        ({"channel": "pigeon", "summary": "x"}, "channel"),
        ({"channel": "call", "summary": ""}, "summary"),
        ({"channel": "call"}, "summary"),
    ],
    ids=["future", "no-time-zone", "channel", "blank-summary", "no-summary"],
)
def test_an_invalid_touch_is_a_422(rep, customer, url, body, field):
    response = send(rep, "post", url, body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["detail"]]
    assert not Touch.objects.exists()
    customer.refresh_from_db()
    assert customer.last_touched_at is None


def test_the_timeline_pages_newest_first(rep, customer, url):
    now = timezone.now()
    for i in range(7):
        log_touch(
            customer, user=rep, channel="call", summary=f"#{i}", occurred_at=now - dt.timedelta(i)
        )
    # Two at the same moment: the id breaks the tie, so neither is lost at a page edge.
    log_touch(customer, user=rep, channel="call", summary="#3b", occurred_at=now - dt.timedelta(3))

    seen, cursor = [], ""
    while True:
        body = send(rep, "get", f"{url}?limit=3&cursor={cursor}").json()
        seen += [t["summary"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["#0", "#1", "#2", "#3b", "#3", "#4", "#5", "#6"]


def test_a_bad_cursor_is_a_400(rep, url):
    response = send(rep, "get", f"{url}?cursor=bm9wZQ")
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_editing_and_deleting_keep_the_last_touch_true(rep, customer, url):
    old = log_touch(
        customer,
        user=rep,
        channel="call",
        summary="Old",
        occurred_at=timezone.now() - dt.timedelta(9),
    )
    new = log_touch(customer, user=rep, channel="call", summary="New")

    response = send(rep, "patch", f"{url}/{new.pk}", {"summary": "Newer", "channel": "meeting"})
    assert response.status_code == 200
    assert (response.json()["summary"], response.json()["channel"]) == ("Newer", "meeting")
    assert send(rep, "get", f"{url}/{new.pk}").json()["summary"] == "Newer"

    response = send(rep, "patch", f"{url}/{new.pk}", {"occurred_at": "2999-01-01T00:00:00Z"})
    assert response.status_code == 422

    assert send(rep, "delete", f"{url}/{new.pk}").status_code == 204
    customer.refresh_from_db()
    assert customer.last_touched_at == old.occurred_at
    assert send(rep, "get", f"{url}/{new.pk}").status_code == 404
