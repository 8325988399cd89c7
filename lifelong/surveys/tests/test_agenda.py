import datetime as dt

import pytest
import time_machine
from django.http import Http404

from lifelong.agenda import services as agenda
from lifelong.surveys import services
from lifelong.surveys.models import Response
from lifelong.touches.models import Touch

NOW = dt.datetime(2025, 6, 10, 10, tzinfo=dt.UTC)
TODAY = NOW.date()


def recovery(user, today=TODAY):
    return agenda.agenda(user, today, kinds=["survey_recovery"])


@time_machine.travel(NOW, tick=False)
def test_a_detractor_puts_a_recovery_call_on_the_owners_agenda(rep, invitation):
    r = services.answer(invitation, score=4, comment="Late again.")
    (item,) = recovery(rep)
    assert item.key == f"survey_recovery:{r.pk}"
    assert item.reason.startswith("Scored 4 in the NPS survey — call to put it right — Anna Berg")
    assert item.extra["comment"] == "Late again."


@time_machine.travel(NOW, tick=False)
def test_promoters_and_passives_raise_no_recovery_item(rep, survey, customer):
    for i, score in enumerate((7, 8, 9, 10)):
        services.answer(services.invitation_for(survey, customer, f"o{i}"), score=score)
    assert recovery(rep) == []


@time_machine.travel(NOW, tick=False)
def test_a_better_answer_takes_the_item_away(rep, invitation):
    services.answer(invitation, score=3)
    assert len(recovery(rep)) == 1
    services.answer(invitation, score=9)
    assert recovery(rep) == []


@time_machine.travel(NOW, tick=False)
def test_done_logs_a_touch_and_marks_the_response_followed_up(rep, invitation, customer):
    r = services.answer(invitation, score=2)
    said = agenda.act(rep, f"survey_recovery:{r.pk}", "done", channel="call", note="Sorted it")
    assert "Anna Berg" in said
    r.refresh_from_db()
    assert r.followed_up_at is not None
    assert Touch.objects.filter(customer=customer, summary="Sorted it", user=rep).exists()
    assert recovery(rep) == []


def test_snooze_hides_it_until_the_day_and_dismiss_for_good(rep, invitation):
    with time_machine.travel(NOW, tick=False):
        r = services.answer(invitation, score=5)
        agenda.act(rep, f"survey_recovery:{r.pk}", "snooze", days=3)
        assert recovery(rep) == []
        assert recovery(rep, TODAY + dt.timedelta(days=2)) == []
        assert len(recovery(rep, TODAY + dt.timedelta(days=3))) == 1
        agenda.act(rep, f"survey_recovery:{r.pk}", "dismiss")
        assert recovery(rep, TODAY + dt.timedelta(days=3)) == []
        assert Response.objects.get().recovery_dismissed_at is not None


@time_machine.travel(NOW, tick=False)
def test_an_outsider_cannot_act_on_the_item(outsider, invitation):
    r = services.answer(invitation, score=1)
    assert recovery(outsider) == []
    with pytest.raises(Http404):
        agenda.act(outsider, f"survey_recovery:{r.pk}", "done")
    with pytest.raises(Http404):
        agenda.act(outsider, "survey_recovery:999999", "dismiss")
    with pytest.raises(ValueError):
        agenda.act(outsider, "survey_recovery:abc", "dismiss")
    assert Response.objects.get().followed_up_at is None


def test_old_low_scores_leave_the_agenda_after_30_days(rep, invitation):
    with time_machine.travel(NOW, tick=False):
        services.answer(invitation, score=0)
    assert len(recovery(rep, TODAY + dt.timedelta(days=29))) == 1
    assert recovery(rep, TODAY + dt.timedelta(days=31)) == []
