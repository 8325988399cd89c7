import csv
import io

import pytest

from conftest import bearer
from lifelong.surveys import services
from lifelong.surveys.models import Invitation, Survey


@pytest.fixture
def answered(invitation, other_customer, survey):
    """Anna (the rep's) scored 3 with a comment; Bo (the outsider's) scored 10."""
    services.answer(invitation, score=3, comment="Anna's secret complaint")
    services.answer(services.invitation_for(survey, other_customer, "x"), score=10, comment="Bo")
    return invitation


def test_owner_sees_everyones_results(owner_client, survey, answered):
    page = owner_client.get(f"/surveys/{survey.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Anna&#x27;s secret complaint" in text and "Bo" in text
    assert 'id="by-owner"' in text and "<svg" in text
    assert "50% promoters (1) \u2212 50% detractors (1)" in text
    listing = owner_client.get("/surveys/").content.decode()
    assert "NPS 0" in listing


def test_a_rep_sees_only_their_own_customers_results(rep_client, outsider_client, survey, answered):
    mine = rep_client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "Anna&#x27;s secret complaint" in mine and ">Bo<" not in mine
    assert 'id="by-owner"' not in mine
    theirs = outsider_client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "Anna" not in theirs
    rows = list(
        csv.reader(
            io.StringIO(outsider_client.get(f"/surveys/{survey.pk}/responses.csv").content.decode())
        )
    )
    assert [r[2] for r in rows[1:]] == ["Bo Ek"]
    rows = list(
        csv.reader(
            io.StringIO(rep_client.get(f"/surveys/{survey.pk}/responses.csv").content.decode())
        )
    )
    assert [(r[2], r[5], r[6]) for r in rows[1:]] == [("Anna Berg", "3", "detractor")]


def test_the_customer_page_shows_the_latest_scores(rep_client, customer, answered):
    text = rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="surveys"' in text and "Anna&#x27;s secret complaint" in text


def test_an_outsider_gets_404_on_every_customer_operation(
    outsider_client, outsider, customer, survey, answered
):
    assert outsider_client.get(f"/customers/{customer.pk}/").status_code == 404
    assert (
        outsider_client.post(f"/surveys/link/{customer.pk}/", {"survey": survey.pk}).status_code
        == 404
    )
    headers = bearer(outsider)
    api = outsider_client
    assert (
        api.get(f"/api/v1/customers/{customer.pk}/survey-responses", headers=headers).status_code
        == 404
    )
    made = api.post(
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"customer_ids": [customer.pk]},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 404
    assert Invitation.objects.filter(customer=customer).count() == 1
    results = api.get(f"/api/v1/surveys/{survey.pk}/results", headers=headers).json()
    assert results["survey"]["answered"] == 1 and results["by_owner"] == []
    assert api.get("/api/v1/surveys/999999", headers=headers).status_code == 404


def test_only_owners_and_managers_create_and_edit_surveys(rep_client, owner_client, survey):
    assert rep_client.get("/surveys/new/").status_code == 403
    assert rep_client.post(f"/surveys/{survey.pk}/edit/", {"name": "x"}).status_code == 403
    created = owner_client.post(
        "/surveys/new/",
        {
            "name": "After the repair",
            "kind": "satisfaction",
            "question": "How happy are you with {{ business_name }}?",
            "follow_ups_text": "1-5: How quick were we?\nWhat could we do better?",
            "closes_at": "",
        },
    )
    survey = Survey.objects.get(name="After the repair")
    assert created.status_code == 302 and created["Location"] == f"/surveys/{survey.pk}/"
    assert [q["kind"] for q in survey.follow_ups] == ["1-5", "text"]
    edit = owner_client.get(f"/surveys/{survey.pk}/edit/").content.decode()
    assert "1-5: How quick were we?" in edit


def test_a_link_made_on_the_customer_page(rep_client, customer, survey):
    page = rep_client.post(f"/surveys/link/{customer.pk}/", {"survey": survey.pk}, follow=True)
    invitation = Invitation.objects.get(customer=customer)
    assert f"/surveys/r/{invitation.token}/" in page.content.decode()
    rep_client.post(f"/surveys/link/{customer.pk}/", {"survey": survey.pk})
    assert Invitation.objects.filter(customer=customer).count() == 1  # the open one again


def test_api_lists_results_responses_and_makes_links(client, rep, customer, survey, answered):
    headers = bearer(rep)
    (row,) = client.get("/api/v1/surveys", headers=headers).json()
    assert row["nps"] == {"promoters": 0, "passives": 0, "detractors": 1, "total": 1, "nps": -100.0}
    assert row["question"].startswith("How likely are you to recommend")
    results = client.get(f"/api/v1/surveys/{survey.pk}/results", headers=headers).json()
    assert results["by_month"][0]["nps"]["total"] == 1
    (resp,) = client.get(
        f"/api/v1/customers/{customer.pk}/survey-responses", headers=headers
    ).json()
    assert (resp["score"], resp["category"]) == (3, "detractor")
    made = client.post(
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"customer_ids": [customer.pk, customer.pk]},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201
    (link,) = made.json()
    assert link["url"].startswith("https://crm.example.test/surveys/r/")
    assert client.get(link["url"].removeprefix("https://crm.example.test")).status_code == 200


def test_the_api_needs_a_token(client, survey):
    assert client.get("/api/v1/surveys").status_code == 401
