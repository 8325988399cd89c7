"""The extras page (the list, the rules, the log, the report), giving an extra from a
customer's page, and that page's panel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lifelong.accounts.access import require_manager
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.extras import services
from lifelong.extras.access import given_visible_to
from lifelong.extras.forms import ExtraForm, GiveForm, RuleForm
from lifelong.extras.models import Extra, ExtraRule


def extras_panel_context(request: HttpRequest, customer: Customer) -> dict:
    return {
        "extras_given": list(
            customer.extras_given.select_related("extra", "given_by").order_by("-given_at")[:10]
        ),
        "give_form": GiveForm(),
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    visible = customers_visible_to(request.user)
    log = given_visible_to(request.user).select_related("extra", "customer", "given_by")
    context = {
        "extras": Extra.objects.all(),
        "rules": ExtraRule.objects.select_related("extra"),
        "log": Paginator(log, 25).get_page(request.GET.get("page")),
        "report": services.report(visible),
        "can_edit": request.user.sees_all_customers,
        "extra_form": ExtraForm(),
        "rule_form": RuleForm(),
        "window_days": services.extras_settings()["window_days"],
    }
    return render(request, "extras/index.html", context)


def _save(request: HttpRequest, form, *, added: str, what: str) -> HttpResponse:
    """Save a small form from the extras page and say, on that page, what came of it."""
    if form.is_valid():
        form.save()
        messages.success(request, added.format(form.instance.name))
    else:
        messages.error(request, f"{what} was not saved: " + form.errors.as_text())
    return redirect("extras:index")


@login_required
@require_POST
def add_extra(request: HttpRequest) -> HttpResponse:
    require_manager(request.user, "change the extras")
    return _save(request, ExtraForm(request.POST), added="Added {}.", what="The extra")


@login_required
@require_POST
def add_rule(request: HttpRequest) -> HttpResponse:
    require_manager(request.user, "change the extras")
    return _save(request, RuleForm(request.POST), added="Added the rule {}.", what="The rule")


@login_required
@require_POST
def toggle(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Switch an extra or a rule on or off."""
    require_manager(request.user, "change the extras")
    model = {"extra": Extra, "rule": ExtraRule}.get(kind)
    obj = model.objects.filter(pk=pk).first() if model else None
    if obj is None:
        from django.http import Http404

        raise Http404
    obj.active = not obj.active
    obj.save(update_fields=["active"])
    return redirect("extras:index")


@login_required
@require_POST
def give(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, customer_id)
    form = GiveForm(request.POST)
    if form.is_valid():
        extra = form.cleaned_data["extra"]
        services.give(customer, extra, by=request.user, note=form.cleaned_data["note"])
        messages.success(request, f"Gave {customer.display_name} {extra.name.lower()}.")
    else:
        messages.error(request, "Choose an extra to give.")
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#extras")
