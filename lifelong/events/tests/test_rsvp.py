from __future__ import annotations

import pytest
from django.urls import reverse

from lifelong.customers.models import Customer
from lifelong.events import services
from lifelong.events.models import Invitation
from lifelong.outreach.tests.conftest import make_customers


def _invite(event, owner, count: int) -> list[Invitation]:
    people = make_customers(owner, count)
    services.invite(event, Customer.objects.filter(pk__in=[c.pk for c in people]), by=owner)
    return list(Invitation.objects.filter(event=event).order_by("customer_id"))


def _url(invitation: Invitation) -> str:
    return reverse("events:rsvp", args=[services.rsvp_token(invitation)])


def test_a_wrong_token_is_404(client, event, owner, business):
    [invitation] = _invite(event, owner, 1)
    assert client.get(_url(invitation)).status_code == 200
    assert client.get(reverse("events:rsvp", args=["nope"])).status_code == 404
    tampered = services.rsvp_token(invitation)[:-2] + "xx"
    assert client.get(reverse("events:rsvp", args=[tampered])).status_code == 404
    # A valid signature over a token that no invitation has.
    forged = services.signing.Signer(salt=services.RSVP_SALT).sign("someone-else")
    assert client.post(reverse("events:rsvp", args=[forged]), {"rsvp": "yes"}).status_code == 404


def test_a_guest_answers_and_changes_their_mind(client, event, owner, business):
    [invitation] = _invite(event, owner, 1)
    response = client.post(_url(invitation), {"rsvp": "yes"})
    assert "You are coming" in response.text
    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.waitlisted) == ("yes", False)
    response = client.post(_url(invitation), {"rsvp": "no"})
    assert "You are not coming" in response.text
    response = client.post(_url(invitation), {"rsvp": "maybe"})
    assert "You might come" in response.text
    invitation.refresh_from_db()
    assert invitation.rsvp == "maybe"


def test_yes_beyond_capacity_waits_and_moves_up_when_a_place_frees(client, event, owner, business):
    event.capacity = 2
    event.save()
    first, second, third, fourth = _invite(event, owner, 4)
    for invitation in (first, second):
        client.post(_url(invitation), {"rsvp": "yes"})
    response = client.post(_url(third), {"rsvp": "yes"})
    assert "wait list" in response.text
    client.post(_url(fourth), {"rsvp": "yes"})
    third.refresh_from_db()
    assert third.waitlisted
    # A guest holding a place says no: the longest-waiting guest moves up, not the latest.
    client.post(_url(first), {"rsvp": "no"})
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert (third.waitlisted, fourth.waitlisted) == (False, True)
    assert third.promoted_at is not None
    assert "a place came free and it is yours" in client.get(_url(third)).text
    # A waitlisted guest who says no frees no place.
    client.post(_url(fourth), {"rsvp": "no"})
    assert services.counts_of(event.invitations.all())["yes"] == 2
    # More places: the wait list empties into them.
    client.post(_url(first), {"rsvp": "yes"})
    first.refresh_from_db()
    assert first.waitlisted
    event.capacity = 3
    services.save_event(event)
    first.refresh_from_db()
    assert not first.waitlisted


def test_a_past_event_takes_no_answers(client, event, owner, business):
    import datetime as dt

    [invitation] = _invite(event, owner, 1)
    event.starts_at -= dt.timedelta(days=60)
    event.ends_at -= dt.timedelta(days=60)
    event.save()
    response = client.post(_url(invitation), {"rsvp": "yes"})
    assert "This event is over" in response.text
    invitation.refresh_from_db()
    assert invitation.rsvp == "none"


@pytest.mark.parametrize("answer", ["", "perhaps"])
def test_a_bad_answer_changes_nothing(client, event, owner, business, answer):
    [invitation] = _invite(event, owner, 1)
    assert client.post(_url(invitation), {"rsvp": answer}).status_code == 200
    invitation.refresh_from_db()
    assert invitation.rsvp == "none"
