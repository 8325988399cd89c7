"""The segments API: CRUD for owners and managers, counts for everybody's own customers."""

from __future__ import annotations

import pytest

from conftest import bearer
from lifelong.outreach.models import Program, Template
from lifelong.segments.models import Segment
from lifelong.segments.services import save_segment

from .helpers import person

BASE = "/api/v1/segments"


@pytest.fixture
def vips(owner, customer) -> Segment:
    return save_segment(Segment(), name="VIPs", filters={"tags": ["vip"]}, by=owner)


@pytest.fixture
def crowd(owner, customer):
    person(owner, "Ada", tags=["vip"])
    person(owner, "Cy")


def test_it_lists_and_shows_segments(client, vips, rep):
    answer = client.get(BASE, headers=bearer(rep)).json()
    assert [s["name"] for s in answer] == ["VIPs"]
    one = client.get(f"{BASE}/{vips.pk}", headers=bearer(rep)).json()
    assert one["filters"] == {"tags": ["vip"]}
    assert one["created_by"] == vips.created_by_id


def test_an_owner_creates_changes_and_deletes(client, owner, crowd):
    headers = bearer(owner)
    made = client.post(
        BASE,
        {"name": "Consenting", "filters": {"consent": "yes"}},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201, made.content
    sid = made.json()["id"]
    changed = client.patch(
        f"{BASE}/{sid}",
        {"filters": {"tags": ["vip"]}},
        content_type="application/json",
        headers=headers,
    )
    assert changed.json()["filters"] == {"tags": ["vip"]}
    assert changed.json()["name"] == "Consenting"
    assert client.delete(f"{BASE}/{sid}", headers=headers).status_code == 204
    assert not Segment.objects.exists()


def test_a_rep_may_not_change_segments(client, rep, vips):
    headers = bearer(rep)
    assert (
        client.post(
            BASE, {"name": "x"}, content_type="application/json", headers=headers
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"{BASE}/{vips.pk}", {"name": "y"}, content_type="application/json", headers=headers
        ).status_code
        == 403
    )
    assert client.delete(f"{BASE}/{vips.pk}", headers=headers).status_code == 403


def test_counts_cover_the_callers_customers(client, vips, crowd, owner, rep):
    assert client.get(f"{BASE}/{vips.pk}/count", headers=bearer(owner)).json() == {"count": 2}
    assert client.get(f"{BASE}/{vips.pk}/count", headers=bearer(rep)).json() == {"count": 1}
    unsaved = client.post(
        f"{BASE}/count", {"tags": ["vip"]}, content_type="application/json", headers=bearer(rep)
    )
    assert unsaved.json() == {"count": 1}


def test_bad_filters_are_422_by_field(client, owner):
    answer = client.post(
        f"{BASE}/count",
        {"tier": ["Z"], "last_purchase_after": "2025-02-01", "last_purchase_before": "2025-01-01"},
        content_type="application/json",
        headers=bearer(owner),
    )
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["detail"]}
    assert fields == {"tier.0", "last_purchase_before"}
    missing = client.post(
        BASE,
        {"name": "x", "filters": {"tags": ["nope"]}},
        content_type="application/json",
        headers=bearer(owner),
    )
    assert missing.json() == {
        "detail": [{"field": "tags", "message": "There is no tag named nope."}]
    }


def test_a_segment_in_use_is_409(client, owner, vips):
    template = Template.objects.create(name="T", subject="s", body_text="b")
    Program.objects.create(name="Quarterly", kind="one_off", template=template, segment=vips)
    answer = client.delete(f"{BASE}/{vips.pk}", headers=bearer(owner))
    assert answer.status_code == 409
    assert "Quarterly" in answer.json()["detail"]


def test_unknown_segments_are_404(client, owner):
    assert client.get(f"{BASE}/999", headers=bearer(owner)).status_code == 404
    assert client.get(f"{BASE}/999/count", headers=bearer(owner)).status_code == 404
