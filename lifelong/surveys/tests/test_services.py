import pytest
from django.core.exceptions import ValidationError

from lifelong.surveys import services
from lifelong.surveys.models import Kind, Response, Survey
from lifelong.touches.models import Touch


def test_nps_is_percent_promoters_minus_percent_detractors():
    n = services.nps_of([10, 9, 9, 8, 7, 6, 0, 3, 10, 10])
    assert (n.promoters, n.passives, n.detractors, n.total) == (5, 2, 3, 10)
    assert n.score == pytest.approx(20.0)
    assert services.nps_of([]).score is None
    assert services.nps_of([0, 6]).score == -100
    assert services.nps_of([9, 10]).shown == "+100"
    assert services.nps_of([7, 8]).shown == "0"


def test_the_database_counts_as_python_does(survey, customer, rep):
    scores = [10, 9, 8, 7, 6, 5, 0]
    for i, s in enumerate(scores):
        services.answer(services.invitation_for(survey, customer, f"o{i}"), score=s)
    n = services.nps(Response.objects.all())
    assert n == services.nps_of(scores)
    assert round(n.score) == round(100 * (2 - 3) / 7)
    (month,) = services.by_month(survey, Response.objects.all())
    assert month.nps == n
    (tier,) = services.by_tier(survey, Response.objects.all())
    assert tier.label == "No tier"
    (owner,) = services.by_owner(survey, Response.objects.all())
    assert owner.label == rep.display_name


def test_each_answer_is_logged_once_as_an_inbound_touch(invitation, customer):
    services.answer(invitation, score=9, comment="Great")
    services.answer(invitation, score=10, comment="Even better")
    touch = Touch.objects.get(customer=customer)
    assert touch.summary == "Answered the NPS survey: 10"
    customer.refresh_from_db()
    assert customer.last_touched_at == touch.occurred_at


def test_satisfaction_scores_are_one_to_five(owner, customer):
    survey = services.save_survey(
        Survey(name="After the repair", kind=Kind.SATISFACTION, question="How did we do?")
    )
    invitation = services.invitation_for(survey, customer, "x")
    with pytest.raises(ValidationError):
        services.answer(invitation, score=0)
    r = services.answer(invitation, score=2)
    assert r.category == "dissatisfied"
    assert Response.objects.filter(services.low_score_q()).get() == r
    s = services.satisfaction(Response.objects.all())
    assert (s.count, s.average) == (1, 2.0)


def test_invitations_are_one_per_occurrence_with_unguessable_tokens(survey, customer):
    a = services.invitation_for(survey, customer, "2025-06-01")
    assert services.invitation_for(survey, customer, "2025-06-01") == a
    b = services.invitation_for(survey, customer, "2025-09-01")
    assert a.token != b.token and len(a.token) >= 32
    assert services.find_invitation(a.token) == a
    assert services.find_invitation("") is None


def test_follow_ups_parse_from_lines():
    parsed = services.parse_follow_ups(
        "What could we do better?\n1-5: How quick was our reply?\n"
        "choice: How did you hear of us? | A friend | The web\n"
    )
    assert [q["kind"] for q in parsed] == ["text", "1-5", "choice"]
    assert parsed[2]["choices"] == ["A friend", "The web"]
    assert services.parse_follow_ups(services.follow_ups_as_text(parsed)) == parsed
    with pytest.raises(ValidationError):
        services.parse_follow_ups("choice: Only one | A")


def test_a_survey_question_that_does_not_compile_is_refused():
    with pytest.raises(ValidationError) as e:
        services.save_survey(Survey(name="x", question="How {% if %} was it?"))
    assert "question" in e.value.message_dict


def test_months_without_answers_are_kept_for_an_even_time_axis(survey, customer):
    import datetime as dt

    for i, month in enumerate((1, 3)):
        at = dt.datetime(2025, month, 15, 12, tzinfo=dt.UTC)
        invitation = services.invitation_for(survey, customer, f"m{i}")
        services.answer(invitation, score=10 if month == 1 else 0, now=at)
    months = services.by_month(survey, Response.objects.all())
    assert [(g.label, g.nps.score) for g in months] == [
        ("Jan 2025", 100.0),
        ("Feb 2025", None),
        ("Mar 2025", -100.0),
    ]
