"""Privacy pages: a customer's data as JSON, the erase confirmation, the retention review.

Who may: the JSON export follows the customer page (a rep their own customers, owners and
managers everyone; anybody else 404). Erasing and the retention review are for owners
and managers (a rep gets 403 on their own customer, 404 on anybody else's); the
retention period is the owner's to change.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lifelong.accounts.access import manages_business, require_manager
from lifelong.audit.log import record_request
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.privacy import consent, retention
from lifelong.privacy.erasure import AlreadyErased, erase_customer
from lifelong.privacy.export import export_customer

PAGE_SIZE = 25
HISTORY_SHOWN = 10


def privacy_panel_context(request: HttpRequest, customer: Customer) -> dict:
    history = list(consent.consent_history(customer.pk)[: HISTORY_SHOWN + 1])
    return {
        "consent_changes": history[:HISTORY_SHOWN],
        "more_consent_changes": len(history) > HISTORY_SHOWN,
        "can_erase": manages_business(request.user),
    }


def _names_match(typed: str, customer: Customer) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    return bool(typed.strip()) and norm(typed) == norm(customer.display_name)


@login_required
def export_json(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    data = export_customer(customer)
    record_request(request, "export", customer_id=customer.pk, target="privacy export")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=1), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    require_manager(request.user, "erase a customer")
    error = ""
    if request.method == "POST":
        if not (_names_match(request.POST.get("name", ""), customer)):
            error = f"Type the customer's name, {customer.display_name}, to confirm."
        else:
            name = customer.display_name
            try:
                erase_customer(customer, by=request.user, ip=request.META.get("REMOTE_ADDR", ""))
            except AlreadyErased as e:  # two people at once: the other one was first
                messages.info(request, str(e))
            else:
                messages.success(request, f"{name}'s data was erased (now Customer #{pk}).")
            return redirect("customers:list")
    return render(
        request,
        "privacy/erase.html",
        {"customer": customer, "error": error, "typed": request.POST.get("name", "")},
        status=400 if error else 200,
    )


@login_required
def retention_list(request: HttpRequest) -> HttpResponse:
    require_manager(request.user, "review retention")
    policy = retention.RetentionPolicy.get()
    error = ""
    if request.method == "POST":
        if not request.user.is_owner:
            raise PermissionDenied("Only the business owner can change the retention period.")
        try:
            years = int(request.POST.get("years", ""))
        except ValueError:
            error = "Give the number of years as a whole number."
        else:
            try:
                retention.set_years(years, by=request.user)
            except ValidationError as e:
                error = " ".join(e.messages)
            else:
                messages.success(request, f"Customers quiet for {years} years are listed now.")
                return redirect("privacy:retention")
    page = Paginator(retention.due_for_review(years=policy.years), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "privacy/retention.html",
        {
            "page": page,
            "policy": policy,
            "error": error,
            "can_set_years": request.user.is_owner,
            "section": "privacy",
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def retention_keep(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, pk)
    require_manager(request.user, "review retention")
    retention.keep(customer, by=request.user)
    messages.success(request, f"{customer.display_name} kept; reviewed again in a year.")
    return redirect("privacy:retention")
