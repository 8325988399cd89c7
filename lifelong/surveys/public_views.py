"""The public response page /surveys/r/<token>/: no login, a plain form (CSRF on).

The token is the only key: an unknown one is a 404 page, an expired invitation or a
closed survey a polite 410 page. A customer answers once per invitation and may change
the answer while it is open; each answer is one inbound touch (services.answer).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from lifelong.surveys import services
from lifelong.surveys.models import FollowUpKind, Invitation, Kind, Response


def _questions(invitation: Invitation, response: Response | None, post=None) -> list[dict]:
    given = {a.get("question"): a.get("answer", "") for a in (response.answers if response else [])}
    rows = []
    for i, q in enumerate(invitation.survey.follow_ups):
        value = post.get(f"q{i}", "") if post is not None else given.get(q["text"], "")
        rows.append({**q, "name": f"q{i}", "value": value, "scale": ["1", "2", "3", "4", "5"]})
    return rows


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    # The token is in the URL: never send it to another site. ("no-referrer" would make
    # the browser post the form with Origin: null, which the CSRF check refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the question (with the customer's answer, when they gave one); POST: record it
    and redirect to the thanks."""
    invitation = services.find_invitation(token)
    if invitation is None:
        return _page(request, "surveys/public_missing.html", {}, status=404)
    survey, customer = invitation.survey, invitation.customer
    response = Response.objects.filter(invitation=invitation).first()
    base = {
        "survey": survey,
        "customer": customer,
        "response": response,
        "question": services.question_text(survey, customer),
    }
    if not invitation.is_open():
        return _page(request, "surveys/public_closed.html", base, status=410)
    if request.method == "GET" and request.GET.get("thanks") and response is not None:
        return _page(request, "surveys/public_thanks.html", base)
    errors: dict[str, list[str]] = {}
    post = None
    if request.method == "POST":
        post = request.POST
        try:
            score = int(post.get("score", ""))
        except ValueError:
            errors["score"] = ["Choose a score."]
        else:
            answers = [post.get(f"q{i}", "") for i in range(len(survey.follow_ups))]
            try:
                services.answer(
                    invitation, score=score, comment=post.get("comment", ""), answers=answers
                )
            except services.SurveyClosed:
                return _page(request, "surveys/public_closed.html", base, status=410)
            except ValidationError as e:
                errors.update(e.message_dict)
            else:
                return redirect(request.path + "?thanks=1")
    chosen = (
        post.get("score", "") if post is not None else (str(response.score) if response else "")
    )
    low, high = survey.scale[0], survey.scale[-1]
    context = {
        **base,
        "scale": [str(s) for s in survey.scale],
        "chosen": chosen,
        "comment": post.get("comment", "")
        if post is not None
        else (response.comment if response else ""),
        "questions": _questions(invitation, response, post),
        "errors": errors,
        "low_label": "Not at all likely" if survey.kind == Kind.NPS else "Very dissatisfied",
        "high_label": "Extremely likely" if survey.kind == Kind.NPS else "Very satisfied",
        "low": low,
        "high": high,
        "until": min(d for d in (invitation.expires_at, survey.closes_at) if d is not None),
        "now": timezone.now(),
        "follow_up_kinds": FollowUpKind,
    }
    return _page(request, "surveys/respond.html", context, status=422 if errors else 200)
