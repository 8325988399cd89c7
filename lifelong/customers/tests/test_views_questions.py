"""Profile questions management: owner only."""

import pytest
from django.urls import reverse

from conftest import client_for
from lifelong.customers.models import ProfileQuestion

URL = reverse("customers:questions")


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_questions_page_refused_to_others(request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"section": "personal", "text": "X", "kind": "text"}).status_code == 403


def test_questions_listed_by_section(owner_client):
    body = owner_client.get(URL).content.decode()
    assert "Goals and concerns" in body
    assert "Wedding anniversary" in body


def test_add_custom_choice_question(owner_client):
    response = owner_client.post(
        URL,
        {
            "section": "interests",
            "text": "Coffee or tea?",
            "kind": "choice",
            "choices": "Coffee\nTea",
        },
    )
    assert response.status_code == 302
    question = ProfileQuestion.objects.get(text="Coffee or tea?")
    assert question.choices == ["Coffee", "Tea"]
    assert question.key == "coffee-or-tea"
    assert not question.is_default


def test_choice_question_needs_choices(owner_client):
    response = owner_client.post(
        URL, {"section": "interests", "text": "Coffee or tea?", "kind": "choice", "choices": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["choices"]


def test_move_question_down(owner_client):
    first, second = ProfileQuestion.objects.filter(section="personal")[:2]
    owner_client.post(reverse("customers:question_move", args=[first.pk]), {"direction": "down"})
    assert list(ProfileQuestion.objects.filter(section="personal")[:2]) == [second, first]


def test_hide_and_show_question(owner_client):
    question = ProfileQuestion.objects.get(key="smokes")
    url = reverse("customers:question_visibility", args=[question.pk])
    owner_client.post(url, {"hidden": "1"})
    question.refresh_from_db()
    assert question.hidden
    owner_client.post(url, {"hidden": "0"})
    question.refresh_from_db()
    assert not question.hidden


def test_move_requires_post(owner_client):
    question = ProfileQuestion.objects.first()
    assert (
        owner_client.get(reverse("customers:question_move", args=[question.pk])).status_code == 405
    )
