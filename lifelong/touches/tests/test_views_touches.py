"""Logging touches from the customer page, the timeline, editing and deleting."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch

HTMX = {"HX-Request": "true"}
NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)


def touch_data(**overrides) -> dict:
    data = {
        "channel": "call",
        "direction": "outbound",
        "occurred_at": "2025-03-14T10:15",  # Stockholm time: 09:15 UTC
        "summary": "Asked about the spring order",
        "outcome": "Will order in April",
    }
    data.update(overrides)
    return data


@time_machine.travel(NOW, tick=False)
def test_log_touch_updates_last_touched_and_timeline(rep_client, customer, rep):
    url = reverse("touches:log", args=[customer.pk])
    response = rep_client.post(url, touch_data(), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Asked about the spring order" in body
    assert 'id="log-touch"' in body and 'hx-swap-oob="true"' in body  # a fresh form
    assert 'id="last-touched" hx-swap-oob="true"' in body
    touch = customer.touches.get()
    assert touch.user == rep
    assert touch.occurred_at == dt.datetime(2025, 3, 14, 9, 15, tzinfo=dt.UTC)
    customer.refresh_from_db()
    assert customer.last_touched_at == touch.occurred_at
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Asked about the spring order" in page
    assert "Will order in April" in page


@time_machine.travel(NOW, tick=False)
def test_log_form_defaults_to_now_in_business_time(rep_client, customer):
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'value="2025-03-14T10:30"' in page


@time_machine.travel(NOW, tick=False)
def test_log_touch_without_javascript_redirects(rep_client, customer):
    response = rep_client.post(reverse("touches:log", args=[customer.pk]), touch_data())
    assert response.status_code == 302
    assert response.url.endswith("#timeline")
    assert customer.touches.count() == 1


@time_machine.travel(NOW, tick=False)
def test_touch_in_future_is_refused_inline(rep_client, customer):
    url = reverse("touches:log", args=[customer.pk])
    response = rep_client.post(url, touch_data(occurred_at="2025-03-15T10:00"), headers=HTMX)
    assert response["HX-Retarget"] == "#log-touch"
    assert "cannot be in the future" in response.content.decode()
    assert not customer.touches.exists()


def test_touch_needs_a_summary(rep_client, customer):
    url = reverse("touches:log", args=[customer.pk])
    response = rep_client.post(url, touch_data(summary="", occurred_at=""), headers=HTMX)
    assert response["HX-Retarget"] == "#log-touch"
    assert 'class="error"' in response.content.decode()
    assert not customer.touches.exists()


def test_timeline_is_paged_with_older_link(rep_client, customer, rep):
    start = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    for i in range(25):
        log_touch(
            customer,
            user=rep,
            channel="email",
            summary=f"Note {i:02d}",
            occurred_at=start + dt.timedelta(days=i),
        )
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Note 24" in page and "Note 05" in page and "Note 04" not in page
    older = re.search(r'hx-get="([^"]+\?cursor=[^"]+)"', page)[1]
    body = rep_client.get(older, headers=HTMX).content.decode()
    assert "Note 04" in body and "Note 00" in body and "Note 05" not in body
    assert "Older touches" not in body


def test_edit_touch(rep_client, customer, rep):
    touch = log_touch(customer, user=rep, channel="call", summary="Old")
    url = reverse("touches:edit", args=[customer.pk, touch.pk])
    assert 'value="Old"' in rep_client.get(url).content.decode()
    data = touch_data(summary="New", occurred_at="2024-05-01T08:00")
    assert rep_client.post(url, data).status_code == 302
    touch.refresh_from_db()
    customer.refresh_from_db()
    assert touch.summary == "New"
    assert customer.last_touched_at == touch.occurred_at


def test_delete_touch_asks_then_moves_last_touched_back(rep_client, customer, rep):
    older = log_touch(
        customer, user=rep, channel="call", summary="Older",
        occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    newer = log_touch(customer, user=rep, channel="call", summary="Newer")
    url = reverse("touches:delete", args=[customer.pk, newer.pk])
    assert "Delete this touch?" in rep_client.get(url).content.decode()
    assert Touch.objects.filter(pk=newer.pk).exists()
    rep_client.post(url)
    assert not Touch.objects.filter(pk=newer.pk).exists()
    customer.refresh_from_db()
    assert customer.last_touched_at == older.occurred_at


@pytest.mark.parametrize("cursor", ["", "abc", "999999"])
def test_timeline_starts_again_on_a_bad_cursor(rep_client, customer, rep, cursor):
    log_touch(customer, user=rep, channel="call", summary="Only one")
    url = reverse("touches:timeline", args=[customer.pk]) + f"?cursor={cursor}"
    assert "Only one" in rep_client.get(url, headers=HTMX).content.decode()
