"""Events fixtures: the outreach SMTP server and business, and an event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.events.models import Event, Kind
from lifelong.outreach.tests.conftest import base_url, business, smtp_server  # noqa: F401


@pytest.fixture
def event(owner: User) -> Event:
    start = (timezone.now() + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    return Event.objects.create(
        name="Spring open house",
        kind=Kind.OPEN_HOUSE,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        place="Storgatan 1, Stockholm",
        created_by=owner,
    )
