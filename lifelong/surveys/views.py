"""Survey pages: the list with response rates and NPS, a survey's results (over time, by
tier and owner, latest comments, CSV), the editor (owners and managers), the customer
page panel and a link made by hand.

Every figure is over customers_visible_to(user): a rep sees their own customers'
answers only. Surveys themselves are shared, like templates.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifelong.accounts.access import manages_business, require_manager
from lifelong.accounts.models import User
from lifelong.audit.log import record_request
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.surveys import services
from lifelong.surveys.access import responses_visible_to
from lifelong.surveys.charts import month_chart
from lifelong.surveys.forms import SurveyForm
from lifelong.surveys.models import Kind, Survey

COMMENTS_SHOWN = 10


def may_edit_surveys(user: User) -> bool:
    return manages_business(user)


def _check_may_edit(user: User) -> None:
    require_manager(user, "change surveys")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    customers = customers_visible_to(request.user)
    rows = services.survey_rows(Survey.objects.all(), customers)
    return render(
        request,
        "surveys/index.html",
        {"rows": rows, "can_edit": may_edit_surveys(request.user)},
    )


@login_required
def detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    customers = customers_visible_to(request.user)
    responses = services.survey_responses(survey, customers)
    nps = survey.kind == Kind.NPS
    months = services.by_month(survey, responses)
    context = {
        "survey": survey,
        "question": services.question_text(survey),
        "rate": services.response_rate(survey, customers),
        "nps": services.nps(responses) if nps else None,
        "satisfaction": None if nps else services.satisfaction(responses),
        "months": months,
        "chart": month_chart(months, nps=nps),
        "tiers": services.by_tier(survey, responses),
        "owners": services.by_owner(survey, responses) if request.user.sees_all_customers else [],
        "comments": responses.exclude(comment="")
        .select_related("customer")
        .order_by("-submitted_at", "-id")[:COMMENTS_SHOWN],
        "programs": survey.programs.all(),
        "can_edit": may_edit_surveys(request.user),
        "is_nps": nps,
    }
    context["columns"] = list(zip(context["chart"].bars, context["chart"].x_ticks, strict=True))
    return render(request, "surveys/detail.html", context)


@login_required
def responses_csv(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    responses = services.survey_responses(survey, customers_visible_to(request.user))
    response = HttpResponse(
        services.responses_csv(survey, responses), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-{stamp}.csv"'
    record_request(request, "export", target="survey responses csv")
    return response


@login_required
def create(request: HttpRequest) -> HttpResponse:
    _check_may_edit(request.user)
    return _editor(request, Survey())


@login_required
def edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    return _editor(request, get_object_or_404(Survey, pk=survey_id))


def _editor(request: HttpRequest, survey: Survey) -> HttpResponse:
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        form.instance.follow_ups = form.cleaned_data["follow_ups_text"]
        try:
            services.save_survey(form.instance, by=request.user)
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Survey {survey.name} saved.")
            return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/form.html", {"form": form, "survey": survey})


@login_required
@require_POST
def make_link(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A link to a survey for one customer, to send by hand; shown on the customer page."""
    customer = get_customer_for_user(request.user, customer_id)
    survey = get_object_or_404(Survey, pk=request.POST.get("survey") or 0)
    invitation = services.link_invitation(survey, customer)
    messages.success(
        request,
        f"A link to {survey.name} for {customer.display_name}: {services.survey_url(invitation)}",
    )
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#surveys")


def survey_panel_context(request: HttpRequest, customer: Customer) -> dict:
    """The customer page panel: their latest scores and comments."""
    latest = list(
        responses_visible_to(request.user)
        .filter(customer=customer)
        .select_related("invitation__survey")
        .order_by("-submitted_at", "-id")[:5]
    )
    return {
        "survey_responses": latest,
        "open_surveys": Survey.objects.exclude(closes_at__lte=timezone.now()),
    }
