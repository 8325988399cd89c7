from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lifelong.customers.models import Customer
from lifelong.events import services
from lifelong.events.models import Event, Invitation
from lifelong.segments.models import Segment
from lifelong.touches.models import Touch


@pytest.fixture
def invited(event, customer, owner, business) -> Invitation:
    services.invite(event, Customer.objects.filter(pk=customer.pk), by=owner)
    return Invitation.objects.get(event=event, customer=customer)


def test_the_events_page_shows_the_rsvp_counts(owner_client, event, invited):
    services.answer(invited, "yes")
    response = owner_client.get(reverse("events:list"))
    assert response.status_code == 200
    assert "Spring open house" in response.text
    response = owner_client.get(reverse("events:detail", args=[event.pk]))
    assert "Anna Berg" in response.text
    assert "<strong>1</strong> yes" in response.text


def test_an_owner_creates_and_edits_an_event(owner_client):
    data = {
        "name": "Working lunch",
        "kind": "working_lunch",
        "starts_at": "2031-05-02T12:00",
        "ends_at": "2031-05-02T13:30",
        "place": "The office",
        "capacity": "8",
        "description": "",
    }
    response = owner_client.post(reverse("events:new"), data)
    event = Event.objects.get()
    assert response.url == reverse("events:detail", args=[event.pk])
    assert event.capacity == 8
    data["ends_at"] = "2031-05-02T11:00"
    response = owner_client.post(reverse("events:edit", args=[event.pk]), data)
    assert "It ends after it starts" in response.text


def test_a_rep_cannot_create_events(rep_client):
    assert rep_client.get(reverse("events:new")).status_code == 403


def test_inviting_the_suggestion_and_a_segment(owner_client, event, customer, owner, business):
    Customer.objects.filter(pk=customer.pk).update(tier="A")
    response = owner_client.get(reverse("events:invite", args=[event.pk]))
    assert "not invited to any event in the last 6 months (1)" in response.text
    owner_client.post(reverse("events:invite", args=[event.pk]), {"to": "suggested"})
    assert Invitation.objects.filter(event=event, customer=customer).exists()
    segment = Segment.objects.create(name="Everybody", filters={})
    owner_client.post(reverse("events:invite", args=[event.pk]), {"to": str(segment.pk)})
    assert Invitation.objects.filter(event=event).count() == 1


def test_attendance_logs_an_event_touch_once(rep_client, event, invited, customer):
    event.starts_at = event.starts_at - dt.timedelta(days=60)
    event.ends_at = event.ends_at - dt.timedelta(days=60)
    event.save()
    url = reverse("events:attendance", args=[event.pk])
    rep_client.post(url, {"attended": [str(customer.pk)]})
    rep_client.post(url, {"attended": [str(customer.pk)]})
    invited.refresh_from_db()
    assert invited.attended is True
    [touch] = Touch.objects.filter(customer=customer)
    assert (touch.channel, touch.summary) == ("event", "Came to Spring open house")
    assert touch.occurred_at == event.starts_at
    rep_client.post(url, {})
    invited.refresh_from_db()
    assert invited.attended is False
    assert not Touch.objects.filter(customer=customer).exists()


def test_the_outsider_gets_404_everywhere(outsider_client, event, invited, customer):
    for name in ("detail", "edit", "invite"):
        assert outsider_client.get(reverse(f"events:{name}", args=[event.pk])).status_code == 404
    url = reverse("events:attendance", args=[event.pk])
    assert outsider_client.post(url, {"attended": [str(customer.pk)]}).status_code == 404
    assert "Spring open house" not in outsider_client.get(reverse("events:list")).text
    invited.refresh_from_db()
    assert invited.attended is None


def test_a_rep_sees_the_event_of_their_customer(rep_client, event, invited):
    assert rep_client.get(reverse("events:detail", args=[event.pk])).status_code == 200
    assert rep_client.get(reverse("events:edit", args=[event.pk])).status_code == 403
