"""The at-risk page: customers the score flags, with every reason, by value at stake.

A rep sees their own customers; owners and managers everyone's, with an owner filter.
The scores are those stored by the last risk refresh (RiskScore; at most a day old).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.value import risk
from lifelong.value.records import Tier

PAGE_SIZE = 25


class RiskFilterForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True), required=False, empty_label="Everyone"
    )
    tier = forms.ChoiceField(choices=[("", "Any tier"), *Tier.choices], required=False)
    signal = forms.ChoiceField(
        choices=[("", "Any reason"), *risk.SIGNAL_LABELS.items()], required=False
    )


@login_required
def at_risk(request: HttpRequest) -> HttpResponse:
    """Customers at risk, ranked by value at stake, filtered and a page at a time."""
    form = RiskFilterForm(request.GET or None)
    customers = customers_visible_to(request.user).filter(archived_at__isnull=True)
    signals = None
    if form.is_valid():
        data = form.cleaned_data
        if data["owner"] and request.user.sees_all_customers:
            customers = customers.filter(owner=data["owner"])
        if data["tier"]:
            customers = customers.filter(tier=data["tier"])
        if data["signal"]:
            signals = [data["signal"]]
    rows = risk.stored(customers, signals=signals)
    totals = rows.order_by().aggregate(n=Count("pk"), stake=Sum("value_at_stake"))
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = totals["n"]  # known already: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = [risk.risk_from_row(r) for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "total": totals["n"],
        "stake": totals["stake"] or 0,
        "cfg": risk.risk_settings(),
    }
    return render(request, "value/at_risk.html", context)
