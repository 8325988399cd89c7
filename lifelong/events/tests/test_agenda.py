"""A guest who moves up from the wait list becomes an item on their owner's agenda."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from lifelong.accounts.models import Business
from lifelong.agenda import services as agenda
from lifelong.events import services
from lifelong.events.models import Invitation, Rsvp
from lifelong.touches.models import Touch

from .test_rsvp import _invite


@pytest.fixture
def moved_up(event, owner, business) -> Invitation:
    """Capacity 1: the first guest holds it, the second waits, the first says no."""
    event.capacity = 1
    event.save()
    first, second = _invite(event, owner, 2)
    services.answer(first, Rsvp.YES)
    services.answer(second, Rsvp.YES)
    services.answer(first, Rsvp.NO)
    second.refresh_from_db()
    assert second.promoted_at is not None
    return second


def _moved_up_items(user):
    return agenda.agenda(user, kinds=["moved_up"])


def test_a_guest_who_moves_up_is_on_the_owners_agenda(moved_up, owner):
    [item] = _moved_up_items(owner)
    assert item.key == f"moved_up:{moved_up.pk}"
    assert item.customer_id == moved_up.customer_id
    assert item.title.startswith("Moved up from the wait list for Spring open house (")
    assert item.title.endswith("tell them the place is theirs")


def test_done_logs_a_touch_and_takes_it_off(moved_up, owner):
    said = agenda.act(owner, f"moved_up:{moved_up.pk}", "done", channel="call")
    assert "knows their place at Spring open house is confirmed" in said
    touch = Touch.objects.get(customer_id=moved_up.customer_id)
    assert (touch.channel, touch.user) == ("call", owner)
    assert _moved_up_items(owner) == []


def test_snooze_hides_it_until_the_day(moved_up, owner):
    today = Business.get().today()
    agenda.act(owner, f"moved_up:{moved_up.pk}", "snooze", days=3, today=today)
    assert _moved_up_items(owner) == []
    later = agenda.agenda(owner, today + dt.timedelta(days=3), kinds=["moved_up"])
    assert [i.key for i in later] == [f"moved_up:{moved_up.pk}"]


def test_dismiss_takes_it_off_without_a_touch(moved_up, owner):
    agenda.act(owner, f"moved_up:{moved_up.pk}", "dismiss")
    assert _moved_up_items(owner) == []
    assert not Touch.objects.filter(customer_id=moved_up.customer_id).exists()


def test_it_goes_away_when_the_event_is_over(moved_up, owner, event):
    after = (event.ends_at + dt.timedelta(days=1)).date()
    assert agenda.agenda(owner, after, kinds=["moved_up"]) == []


def test_moving_up_again_after_a_note_brings_it_back(moved_up, owner, event):
    agenda.act(owner, f"moved_up:{moved_up.pk}", "dismiss")
    services.answer(moved_up, Rsvp.NO)  # gives the place up...
    services.answer(moved_up, Rsvp.YES)  # ...and wants it back: it is free, no wait
    assert _moved_up_items(owner) == []  # not waitlisted, so not "moved up" again


def test_an_outsider_cannot_see_or_act_on_it(moved_up, outsider):
    assert _moved_up_items(outsider) == []
    with pytest.raises(Http404):
        agenda.act(outsider, f"moved_up:{moved_up.pk}", "done")
    moved_up.refresh_from_db()
    assert moved_up.promotion_noted_at is None
