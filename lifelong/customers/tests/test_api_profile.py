"""The profile sheet through the API: questions, answers, completeness."""

import pytest
from django.test import Client

from conftest import bearer
from lifelong.customers.models import ProfileAnswer, ProfileQuestion


def send(user, method: str, path: str, body: dict | None = None):
    kwargs = {"headers": bearer(user)}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(Client(), method)(path, **kwargs)


@pytest.fixture
def url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/profile"


def test_it_lists_the_questions(rep):
    questions = send(rep, "get", "/api/v1/profile-questions").json()
    by_key = {q["key"]: q for q in questions}
    assert by_key["birthday"]["kind"] == "date"
    assert by_key["marital_status"]["choices"]
    assert len(questions) == ProfileQuestion.objects.count()


def test_the_sheet_starts_empty(rep, url):
    sheet = send(rep, "get", url).json()
    visible = ProfileQuestion.objects.filter(hidden=False).count()
    assert (sheet["completeness"], sheet["answered"], sheet["total"]) == (0, 0, visible)
    assert len(sheet["unknown"]) == visible
    assert sheet["sections"][0]["key"] == "personal"
    first = sheet["sections"][0]["questions"][0]
    assert first["key"] == "birthday"
    assert first["value"] is None


def test_a_year_free_date_is_stored_and_shown(rep, customer, url):
    response = send(rep, "put", f"{url}/birthday", {"value": "--04-03"})
    assert response.status_code == 200, response.content
    assert response.json()["value"] == "--04-03"
    assert response.json()["display"] == "3 April"
    assert ProfileAnswer.objects.get(customer=customer, question__key="birthday").value == (
        "--04-03"
    )

    sheet = send(rep, "get", url).json()
    assert sheet["answered"] == 1
    assert "birthday" not in sheet["unknown"]
    birthday = sheet["sections"][0]["questions"][0]
    assert (birthday["value"], birthday["display"]) == ("--04-03", "3 April")


@pytest.mark.parametrize(
    ("key", "value"),
    [("birthday", "1980-02-30"), ("birthday", "soon"), ("children_count", "two")],
)
def test_an_answer_that_does_not_fit_is_a_422(rep, url, key, value):
    response = send(rep, "put", f"{url}/{key}", {"value": value})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == ["value"]
    assert not ProfileAnswer.objects.exists()


def test_a_choice_must_be_one_of_the_options(rep, url):
    assert send(rep, "put", f"{url}/marital_status", {"value": "Complicated"}).status_code == 422
    assert send(rep, "put", f"{url}/marital_status", {"value": "Married"}).status_code == 200


def test_a_blank_answer_deletes_it(rep, url):
    send(rep, "put", f"{url}/hometown", {"value": "Kiruna"})
    response = send(rep, "put", f"{url}/hometown", {"value": "  "})
    assert response.status_code == 200
    assert response.json()["value"] is None
    assert not ProfileAnswer.objects.exists()


def test_an_unknown_question_is_a_404(rep, url):
    response = send(rep, "put", f"{url}/favourite-colour-of-the-moon", {"value": "blue"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


def test_the_answer_records_who_gave_it(rep, customer, url):
    send(rep, "put", f"{url}/hometown", {"value": "Kiruna"})
    assert ProfileAnswer.objects.get().updated_by == rep
