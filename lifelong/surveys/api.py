"""API for surveys: the list and one survey with its results, a customer's answers, and
links (invitations) for customers. The response page itself is HTML only.

Figures and answers are over the customers the caller may see; a customer the caller
may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.surveys import services
from lifelong.surveys.access import responses_visible_to
from lifelong.surveys.models import Kind, Response, Survey

router = Router(tags=["surveys"])


class FollowUpOut(Schema):
    text: str
    kind: str = Field(description="text, choice or 1-5")
    choices: list[str] = []


class NpsOut(Schema):
    promoters: int
    passives: int
    detractors: int
    total: int
    nps: float | None = Field(description="% promoters - % detractors; null without answers.")


class SatisfactionOut(Schema):
    count: int
    average: float | None
    satisfied_share: float | None = Field(description="Share of answers scoring 4 or 5.")


class SurveyOut(Schema):
    id: int
    name: str
    kind: str = Field(description="nps (0-10) or satisfaction (1-5).")
    question: str
    follow_ups: list[FollowUpOut]
    closes_at: dt.datetime | None
    created_at: dt.datetime
    invited: int = Field(description="Invitations that reached your customers.")
    answered: int
    response_rate: float | None
    nps: NpsOut | None = None
    satisfaction: SatisfactionOut | None = None


class GroupOut(Schema):
    label: str
    month: dt.date | None = None
    nps: NpsOut | None = None
    satisfaction: SatisfactionOut | None = None


class ResultsOut(Schema):
    survey: SurveyOut
    by_month: list[GroupOut]
    by_tier: list[GroupOut]
    by_owner: list[GroupOut] = Field(description="Empty for a rep.")


class AnswerOut(Schema):
    question: str
    kind: str = ""
    answer: str


class ResponseOut(Schema):
    id: int
    survey_id: int
    customer_id: int
    score: int
    category: str = Field(description="promoter / passive / detractor; satisfied / …")
    comment: str
    answers: list[AnswerOut]
    submitted_at: dt.datetime
    updated_at: dt.datetime
    followed_up_at: dt.datetime | None


class InvitationsIn(Schema):
    customer_ids: list[int] = Field(min_length=1, max_length=500)


class SurveyInvitationOut(Schema):
    customer_id: int
    url: str
    expires_at: dt.datetime


def _nps(n: services.Nps) -> dict:
    return {
        "promoters": n.promoters,
        "passives": n.passives,
        "detractors": n.detractors,
        "total": n.total,
        "nps": None if n.score is None else round(n.score, 1),
    }


def _sat(s: services.Satisfaction) -> dict:
    return {"count": s.count, "average": s.average, "satisfied_share": s.satisfied_share}


def _survey_out(request: HttpRequest, survey: Survey) -> dict:
    customers = customers_visible_to(request.user)
    responses = services.survey_responses(survey, customers)
    rate = services.response_rate(survey, customers)
    nps = survey.kind == Kind.NPS
    return {
        "id": survey.pk,
        "name": survey.name,
        "kind": survey.kind,
        "question": services.question_text(survey),
        "follow_ups": survey.follow_ups,
        "closes_at": survey.closes_at,
        "created_at": survey.created_at,
        "invited": rate.invited,
        "answered": rate.answered,
        "response_rate": rate.share,
        "nps": _nps(services.nps(responses)) if nps else None,
        "satisfaction": None if nps else _sat(services.satisfaction(responses)),
    }


def _group(g: services.Group, nps: bool) -> dict:
    return {
        "label": g.label,
        "month": g.start,
        "nps": _nps(g.nps) if nps else None,
        "satisfaction": None if nps else _sat(g.satisfaction),
    }


@router.get("/surveys", response={200: list[SurveyOut], **CLIENT_ERRORS})
def survey_list(request: HttpRequest) -> list[dict]:
    """Every survey with its response rate and headline figure over your customers."""
    return [_survey_out(request, s) for s in Survey.objects.all()]


@router.get("/surveys/{int:survey_id}", response={200: SurveyOut, **CLIENT_ERRORS})
def survey_get(request: HttpRequest, survey_id: int) -> dict:
    return _survey_out(request, get_object_or_404(Survey, pk=survey_id))


@router.get("/surveys/{int:survey_id}/results", response={200: ResultsOut, **CLIENT_ERRORS})
def survey_results(request: HttpRequest, survey_id: int) -> dict:
    """NPS (or average satisfaction) by month, by value tier and (owners, managers) by owner."""
    survey = get_object_or_404(Survey, pk=survey_id)
    responses = services.survey_responses(survey, customers_visible_to(request.user))
    nps = survey.kind == Kind.NPS
    owners = services.by_owner(survey, responses) if request.user.sees_all_customers else []
    return {
        "survey": _survey_out(request, survey),
        "by_month": [_group(g, nps) for g in services.by_month(survey, responses)],
        "by_tier": [_group(g, nps) for g in services.by_tier(survey, responses)],
        "by_owner": [_group(g, nps) for g in owners],
    }


def _response_out(r: Response) -> dict:
    return {
        "id": r.pk,
        "survey_id": r.invitation.survey_id,
        "customer_id": r.customer_id,
        "score": r.score,
        "category": r.category,
        "comment": r.comment,
        "answers": [
            {
                "question": a.get("question", ""),
                "kind": a.get("kind", ""),
                "answer": a.get("answer", ""),
            }
            for a in r.answers or []
        ],
        "submitted_at": r.submitted_at,
        "updated_at": r.updated_at,
        "followed_up_at": r.followed_up_at,
    }


@router.get(
    "/customers/{int:customer_id}/survey-responses",
    response={200: list[ResponseOut], **CLIENT_ERRORS},
)
def customer_responses(request: HttpRequest, customer_id: int) -> list[dict]:
    """The customer's survey answers, newest first."""
    customer = get_customer_for_user(request.user, customer_id)
    rows = (
        responses_visible_to(request.user)
        .filter(customer=customer)
        .select_related("invitation__survey")
        .order_by("-submitted_at", "-id")
    )
    return [_response_out(r) for r in rows]


@router.post(
    "/surveys/{int:survey_id}/invitations",
    response={201: list[SurveyInvitationOut], **CLIENT_ERRORS},
)
def invitations_create(request: HttpRequest, survey_id: int, payload: InvitationsIn) -> Status:
    """A link to the survey for each customer, to send yourself (an open link made this
    way earlier is given again). 404 if any customer is not one you may see."""
    survey = get_object_or_404(Survey, pk=survey_id)
    if survey.is_closed():
        raise PermissionDenied("This survey has closed.")
    customers = [
        get_customer_for_user(request.user, pk) for pk in dict.fromkeys(payload.customer_ids)
    ]
    out = []
    for customer in customers:
        invitation = services.link_invitation(survey, customer)
        out.append(
            {
                "customer_id": customer.pk,
                "url": services.survey_url(invitation),
                "expires_at": invitation.expires_at,
            }
        )
    return Status(201, out)
