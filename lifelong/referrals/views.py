"""Referral pages: the customer-page panel and its forms, and /referrals/.

Customers are reached through customers.access and referrals through referrals.access,
so an outsider gets 404 on every page and form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from lifelong.accounts.views import confirm_page
from lifelong.agenda.items import Day
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.referrals import services
from lifelong.referrals.access import asks_visible_to, get_referral_for_user, referral_that_brought
from lifelong.referrals.agenda_sources import ask_items
from lifelong.referrals.forms import AskForm, ReferralForm, StatusForm
from lifelong.referrals.models import Answer, ReferralStatus

PER_PAGE = 20


def _errors(e: ValidationError) -> str:
    return " ".join(e.messages)


def referral_panel_context(request: HttpRequest, customer: Customer) -> dict:
    visible = customers_visible_to(request.user)
    own = referral_that_brought(customer)
    return {
        "own_referral": own,
        "referrer_visible": bool(own and visible.filter(pk=own.referrer_id).exists()),
        "tree": services.referral_tree(customer, visible),
        "stats": services.stats_for(customer),
        "last_ask": services.last_ask(customer),
        "next_ask_at": services.next_ask_allowed_at(customer),
        "ask_interval_days": services.config("ask_interval_days"),
        "referral_form": ReferralForm(),
        "ask_form": AskForm(),
        "statuses": ReferralStatus.choices,
    }


def _panel_url(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id]) + "#referrals"


@login_required
@require_POST
def add(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Record a referral by `customer_id`: of an existing customer, or of a new prospect."""
    referrer = get_customer_for_user(request.user, customer_id)
    form = ReferralForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(_panel_url(referrer.pk))
    data = form.cleaned_data
    try:
        if data["referred"] is not None:
            try:
                referred = get_customer_for_user(request.user, data["referred"])
            except Http404:  # an unseen customer reads as an unknown one
                raise ValidationError(
                    {"referred": [f"There is no customer with id {data['referred']}."]}
                ) from None
            referral = services.record_referral(
                referrer,
                referred,
                by=request.user,
                referred_on=data["referred_on"],
                note=data["note"],
            )
        else:
            referral = services.refer_new_prospect(
                referrer,
                by=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                note=data["note"],
                referred_on=data["referred_on"],
            )
    except ValidationError as e:
        messages.error(request, _errors(e))
    else:
        messages.success(
            request,
            f"Recorded: {referrer.display_name} introduced {referral.referred.display_name}.",
        )
    return redirect(_panel_url(referrer.pk))


@login_required
@require_POST
def set_status(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, referral_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        services.set_status(referral, form.cleaned_data["status"], by=request.user)
        messages.success(request, f"Referral status: {referral.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose a status.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = _panel_url(referral.referrer_id)
    return redirect(back)


@login_required
def delete(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, referral_id)
    if request.method == "POST":
        services.delete_referral(referral)
        messages.success(request, "Referral removed.")
        return redirect(_panel_url(referral.referrer_id))
    return confirm_page(
        request,
        title="Remove this referral?",
        question=f"Remove the record that {referral.referrer.display_name} introduced this person?",
        detail="Nobody is deleted; the person is no longer shown as referred.",
        action=request.path,
        cancel_url=_panel_url(referral.referrer_id),
        confirm_label="Remove",
    )


@login_required
@require_POST
def ask(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, customer_id)
    form = AskForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a channel and an answer.")
        return redirect(_panel_url(customer.pk))
    data = form.cleaned_data
    services.record_ask(
        customer, by=request.user, channel=data["channel"], answer=data["answer"], note=data["note"]
    )
    messages.success(request, f"Recorded the referral ask to {customer.display_name}.")
    return redirect(_panel_url(customer.pk))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Top referrers, recent referrals, and the customers to ask now."""
    visible = customers_visible_to(request.user)
    top = Paginator(services.top_referrers(visible), PER_PAGE).get_page(request.GET.get("page"))
    referrers = visible.in_bulk([row["referrer_id"] for row in top])
    top_rows = [{**row, "referrer": referrers[row["referrer_id"]]} for row in top]
    recent = Paginator(services.recent_referrals(visible), PER_PAGE).get_page(
        request.GET.get("recent")
    )
    shown = set(visible.filter(pk__in=[r.referred_id for r in recent]).values_list("pk", flat=True))
    day = Day.of(services.local_today())
    to_ask = ask_items(visible.filter(archived_at__isnull=True), day, PER_PAGE, False)
    awaiting = (
        asks_visible_to(request.user)
        .filter(answer__in=[Answer.LATER, Answer.NO_ANSWER])
        .select_related("customer", "asked_by")
        .order_by("-asked_at", "-id")[:PER_PAGE]
    )
    context = {
        "top": top,
        "top_rows": top_rows,
        "recent": recent,
        "recent_rows": [(r, r.referred_id in shown) for r in recent],
        "to_ask": to_ask,
        "awaiting": awaiting,
        "statuses": ReferralStatus.choices,
    }
    return render(request, "referrals/index.html", context)
