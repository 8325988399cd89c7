from __future__ import annotations

import pytest

from conftest import bearer
from lifelong.customers.models import Customer
from lifelong.events import services
from lifelong.events.models import Invitation
from lifelong.segments.models import Segment
from lifelong.touches.models import Touch

API = "/api/v1"


@pytest.fixture
def invited(event, customer, owner, business) -> Invitation:
    services.invite(event, Customer.objects.filter(pk=customer.pk), by=owner)
    return Invitation.objects.get(event=event, customer=customer)


def test_create_invite_rsvps_and_attendance(client, owner, customer, business):
    headers = bearer(owner)
    payload = {
        "name": "Seminar",
        "kind": "seminar",
        "starts_at": "2020-03-01T09:00:00Z",
        "ends_at": "2020-03-01T11:00:00Z",
        "capacity": 10,
    }
    auth = {"HTTP_AUTHORIZATION": headers["Authorization"]}
    response = client.post(f"{API}/events", payload, content_type="application/json", **auth)
    assert response.status_code == 201, response.json()
    event_id = response.json()["id"]
    segment = Segment.objects.create(name="All", filters={})
    response = client.post(
        f"{API}/events/{event_id}/invite", {"segment_id": segment.pk},
        content_type="application/json", **auth,
    )  # fmt: skip
    assert response.json() == {"invited": 1, "already": 0, "queued": 1}
    [row] = client.get(f"{API}/events/{event_id}/invitations", **auth).json()
    assert (row["customer_name"], row["rsvp"]) == ("Anna Berg", "none")
    response = client.post(
        f"{API}/events/{event_id}/attendance", {"attended": [customer.pk]},
        content_type="application/json", **auth,
    )  # fmt: skip
    assert response.json() == {"came": 1, "touches_added": 1}
    assert Touch.objects.get(customer=customer).channel == "event"
    detail = client.get(f"{API}/events/{event_id}", **auth).json()
    assert detail["counts"]["attended"] == 1
    assert [e["id"] for e in client.get(f"{API}/events", **auth).json()] == [event_id]


def test_the_outsider_gets_404_on_every_operation(client, outsider, event, invited, customer):
    auth = {"HTTP_AUTHORIZATION": bearer(outsider)["Authorization"]}
    base = f"{API}/events/{event.pk}"
    assert client.get(base, **auth).status_code == 404
    assert client.get(f"{base}/invitations", **auth).status_code == 404
    for path, body in (("invite", {"segment_id": None}), ("attendance", {"attended": []})):
        response = client.post(f"{base}/{path}", body, content_type="application/json", **auth)
        assert response.status_code == 404
    assert client.get(f"{API}/events", **auth).json() == []
    invited.refresh_from_db()
    assert invited.attended is None


def test_a_rep_may_not_create_events(client, rep):
    auth = {"HTTP_AUTHORIZATION": bearer(rep)["Authorization"]}
    payload = {"name": "X", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T10:00:00Z"}
    response = client.post(f"{API}/events", payload, content_type="application/json", **auth)
    assert response.status_code == 403
