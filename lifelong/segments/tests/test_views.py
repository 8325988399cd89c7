"""Segment pages: list with counts, editor, live count, detail, delete; who may do what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lifelong.outreach.models import Program, Template
from lifelong.segments.models import Segment
from lifelong.segments.services import save_segment

from .helpers import person


@pytest.fixture
def vips(owner, customer) -> Segment:
    return save_segment(Segment(), name="VIPs", filters={"tags": ["vip"]}, by=owner)


@pytest.fixture
def crowd(owner, rep, customer):  # customer: Anna Berg, the rep's, tagged vip
    person(owner, "Ada", tags=["vip"])
    person(owner, "Cy")


def test_the_list_shows_each_segments_count_for_the_viewer(crowd, vips, owner_client, rep_client):
    page = owner_client.get(reverse("segments:list")).content.decode()
    assert "VIPs" in page and "Tagged vip" in page
    assert '<td class="num segment-count">2</td>' in page
    page = rep_client.get(reverse("segments:list")).content.decode()
    assert '<td class="num segment-count">1</td>' in page
    assert "+ New segment" not in page


def test_the_empty_list_says_what_a_segment_is(owner_client):
    page = owner_client.get(reverse("segments:list")).content.decode()
    assert "No segments yet" in page and "Create the first segment" in page


def test_an_owner_creates_a_segment(crowd, owner_client, owner):
    response = owner_client.post(
        reverse("segments:new"),
        {"name": "Golfers and VIPs", "tags": ["vip"], "status": ["customer"]},
    )
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:detail", args=[segment.pk])
    assert segment.filters == {"tags": ["vip"], "status": ["customer"]}
    assert segment.created_by == owner


def test_the_editor_shows_errors_by_field(owner_client):
    response = owner_client.post(
        reverse("segments:new"),
        {"name": "", "last_purchase_after": "2025-02-01", "last_purchase_before": "2025-01-01"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_name_error"' in page
    assert "Must be later than the on-or-after date (2025-02-01)." in page
    assert not Segment.objects.exists()


def test_an_owner_edits_a_segment(crowd, vips, owner_client):
    url = reverse("segments:edit", args=[vips.pk])
    page = owner_client.get(url).content.decode()
    assert 'value="vip" selected' in page
    owner_client.post(url, {"name": "Prospects", "status": ["prospect"]})
    vips.refresh_from_db()
    assert (vips.name, vips.filters) == ("Prospects", {"status": ["prospect"]})


def test_a_rep_may_use_but_not_change_segments(vips, rep_client):
    assert rep_client.get(reverse("segments:detail", args=[vips.pk])).status_code == 200
    assert rep_client.get(reverse("segments:new")).status_code == 403
    assert (
        rep_client.post(reverse("segments:edit", args=[vips.pk]), {"name": "x"}).status_code == 403
    )
    assert rep_client.post(reverse("segments:delete", args=[vips.pk])).status_code == 403
    assert Segment.objects.filter(name="VIPs").exists()


def test_the_live_count_answers_the_number(crowd, owner_client, rep_client):
    url = reverse("segments:count")
    page = owner_client.post(url, {"tags": ["vip"]}, HTTP_HX_REQUEST="true").content.decode()
    assert '<strong id="live-count-number">2</strong>' in page
    assert "Ada Test" in page and "Anna Berg" in page and "Cy Test" not in page
    page = rep_client.get(url, {"tags": ["vip"]}).content.decode()
    assert '<strong id="live-count-number">1</strong>' in page
    assert "Ada Test" not in page


def test_the_live_count_says_what_to_fix(owner_client):
    page = owner_client.post(reverse("segments:count"), {"not_touched_for_days": "0"}).content
    assert "Fix the filters to see the count." in page.decode()
    assert "greater than or equal to 1" in page.decode()


def test_the_preview_shows_the_first_20(owner, owner_client):
    for i in range(25):
        person(owner, f"P{i:02d}")
    page = owner_client.get(reverse("segments:count")).content.decode()
    assert page.count("<li>") == 20
    assert "25 in all; the first 20 by name are shown." in page


def test_delete_asks_first_then_deletes(vips, owner_client):
    url = reverse("segments:delete", args=[vips.pk])
    assert "Delete the segment VIPs?" in owner_client.get(url).content.decode()
    assert owner_client.post(url).status_code == 302
    assert not Segment.objects.exists()


def test_a_segment_a_program_uses_is_not_deleted(vips, owner_client):
    template = Template.objects.create(name="T", subject="s", body_text="b")
    Program.objects.create(name="Quarterly", kind="one_off", template=template, segment=vips)
    response = owner_client.post(reverse("segments:delete", args=[vips.pk]), follow=True)
    assert Segment.objects.filter(pk=vips.pk).exists()
    assert "VIPs was not deleted. The program sends to this segment: Quarterly." in (
        response.content.decode()
    )


def test_unknown_segments_are_404(owner_client):
    assert owner_client.get(reverse("segments:detail", args=[999])).status_code == 404
    assert owner_client.get(reverse("segments:edit", args=[999])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(reverse("segments:list")).status_code == 302
    assert client.get(reverse("segments:count")).status_code == 302
