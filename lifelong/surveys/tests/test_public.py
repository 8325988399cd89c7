import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from lifelong.surveys import services
from lifelong.surveys.models import Response
from lifelong.surveys.tests.conftest import path_of
from lifelong.touches.models import Touch


@pytest.fixture
def csrf_client() -> Client:
    """CSRF checks on, as in production: the form must carry its token."""
    return Client(enforce_csrf_checks=True)


def post_answer(client: Client, invitation, **data):
    page = client.get(path_of(invitation))
    token = page.cookies["csrftoken"].value
    return client.post(path_of(invitation), {"csrfmiddlewaretoken": token, **data})


def test_the_page_asks_the_question_with_the_business_name(client, invitation):
    page = client.get(path_of(invitation))
    assert page.status_code == 200
    text = page.content.decode()
    assert "How likely are you to recommend" in text and "{{" not in text
    assert text.count('name="score"') == 11
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]


def test_answering_records_one_response_and_thanks_the_customer(csrf_client, invitation):
    answer = post_answer(csrf_client, invitation, score="9", comment="Quick and kind.")
    assert answer.status_code == 302
    thanks = csrf_client.get(answer["Location"])
    assert "Thank you, Anna" in thanks.content.decode()
    (r,) = Response.objects.all()
    assert (r.score, r.comment, r.customer_id) == (9, "Quick and kind.", invitation.customer_id)


def test_the_form_needs_its_csrf_token(csrf_client, invitation):
    assert csrf_client.post(path_of(invitation), {"score": "9"}).status_code == 403
    assert not Response.objects.exists()


def test_a_wrong_token_is_a_404_page(client, invitation):
    page = client.get("/surveys/r/not-a-real-token/")
    assert page.status_code == 404
    assert "This link does not work" in page.content.decode()
    assert client.post("/surveys/r/x" + invitation.token + "/", {"score": "9"}).status_code == 404
    assert not Response.objects.exists()


def test_a_reused_token_edits_the_one_response_and_its_one_touch(csrf_client, invitation):
    post_answer(csrf_client, invitation, score="4", comment="Slow delivery.")
    post_answer(csrf_client, invitation, score="8", comment="Sorted now.")
    (r,) = Response.objects.all()
    assert (r.score, r.comment) == (8, "Sorted now.")
    assert r.updated_at >= r.submitted_at
    (touch,) = Touch.objects.filter(customer=invitation.customer)
    assert touch.pk == r.touch_id
    assert touch.summary == "Answered the NPS survey: 8"
    assert touch.outcome == "Sorted now."
    assert (touch.direction, touch.channel, touch.user) == ("inbound", "other", None)
    page = csrf_client.get(path_of(invitation)).content.decode()
    assert "You answered 8" in page and 'value="8" required checked' in page


def test_an_expired_invitation_is_closed_with_a_410(client, invitation):
    services.answer(invitation, score=10)
    invitation.expires_at = timezone.now() - dt.timedelta(minutes=1)
    invitation.save()
    page = client.get(path_of(invitation))
    assert page.status_code == 410
    assert "This survey has closed" in page.content.decode()
    assert "Your answer was recorded" in page.content.decode()
    assert client.post(path_of(invitation), {"score": "2"}).status_code == 410
    assert Response.objects.get().score == 10
    with pytest.raises(services.SurveyClosed):
        services.answer(invitation, score=3)


def test_a_closed_survey_takes_no_answers(client, survey, invitation):
    survey.closes_at = timezone.now() - dt.timedelta(seconds=1)
    survey.save()
    page = client.get(path_of(invitation))
    assert page.status_code == 410
    assert "This survey has closed" in page.content.decode()
    assert client.post(path_of(invitation), {"score": "9"}).status_code == 410
    assert not Response.objects.exists()


def test_a_score_off_the_scale_is_refused(client, invitation):
    for score in ("11", "-1", "", "nine"):
        page = client.post(path_of(invitation), {"score": score})
        assert page.status_code == 422, score
    assert "Choose" in page.content.decode()
    assert not Response.objects.exists()


def test_follow_up_answers_are_kept(client, survey, customer):
    survey.follow_ups = [
        {"text": "How quick was our reply?", "kind": "1-5"},
        {"text": "How did you hear of us?", "kind": "choice", "choices": ["A friend", "The web"]},
        {"text": "What could we do better?", "kind": "text"},
    ]
    services.save_survey(survey)
    invitation = services.invitation_for(survey, customer, "x")
    page = client.post(
        path_of(invitation), {"score": "7", "q0": "4", "q1": "A friend", "q2": "Call back."}
    )
    assert page.status_code == 302
    r = Response.objects.get()
    assert [a["answer"] for a in r.answers] == ["4", "A friend", "Call back."]
    bad = client.post(path_of(invitation), {"score": "7", "q1": "Telepathy"})
    assert bad.status_code == 422
