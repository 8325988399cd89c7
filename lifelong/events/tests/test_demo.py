from __future__ import annotations

import random

from django.utils import timezone

from lifelong.events.demo import add_demo_events
from lifelong.events.models import Event, Invitation
from lifelong.outreach.tests.conftest import make_customers
from lifelong.touches.models import Touch


def test_demo_events(owner):
    customers = make_customers(owner, 40)
    made = add_demo_events(customers, random.Random(1), timezone.localdate())
    assert made == Invitation.objects.count() > 0
    upcoming, past = Event.objects.order_by("-starts_at")
    assert upcoming.starts_at > timezone.now() > past.ends_at
    assert upcoming.invitations.exclude(rsvp="none").exists()
    came = past.invitations.filter(attended=True).count()
    assert came == Touch.objects.filter(channel="event").count() > 0
    assert add_demo_events([], random.Random(1), timezone.localdate()) == 0
