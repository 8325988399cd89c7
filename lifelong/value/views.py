"""The Value pages: the overview, the refresh button, the holdout check, the customer panel.

Every figure is aggregated over customers_visible_to(user): a rep sees the value of the
customers they own, managers and owners everyone's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifelong.accounts.models import Business
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.value import charts, risk, services
from lifelong.value.fitting import holdout_report
from lifelong.value.forms import HoldoutForm
from lifelong.value.text import SYMBOLS, value_sentence


def _symbol(business: Business) -> str:
    return SYMBOLS.get(business.currency, "")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    business = request.business
    data = services.overview(customers_visible_to(request.user))
    context = {
        "data": data,
        "fit": data.fit,
        "model_label": services.model_label(data.fit.model) if data.fit else "",
        "pareto": charts.pareto_chart(data.curve) if data.n_customers else None,
        "histogram": (
            charts.histogram_chart(data.histogram, _symbol(business)) if data.histogram else None
        ),
        "rfm_rows": _rfm_rows(data.rfm),
        "can_refresh": request.user.sees_all_customers,
        "discount_rate": f"{services.value_settings()['discount_rate']:.0%}",
    }
    return render(request, "value/index.html", context)


def _rfm_rows(grid: list[list[int]]) -> list[dict]:
    """Rows from recency 5 (bought lately) down to 1, cells frequency 1 to 5."""
    largest = max(max(row) for row in grid)
    return [
        {
            "recency": r,
            "cells": [
                {"frequency": f + 1, "count": n, "heat": charts.heat(n, largest)}
                for f, n in enumerate(grid[r - 1])
            ],
        }
        for r in range(5, 0, -1)
    ]


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Recompute everybody's value now (owners and managers: it covers every customer)."""
    if not request.user.sees_all_customers:
        raise PermissionDenied("Only an owner or a manager can refresh the values.")
    result, at_risk = risk.refresh_values_and_risk()
    if result.fit.model:
        messages.success(
            request,
            f"Values refreshed for {result.customers:,} customers in {result.seconds:.1f} s; "
            f"{at_risk.customers:,} at risk.",
        )
    else:
        messages.warning(request, f"Values refreshed without a model. {result.skipped}")
    return redirect("value:index")


@login_required
def holdout(request: HttpRequest) -> HttpResponse:
    """Fit on purchases up to a day, forecast the weeks after it, and compare."""
    today = timezone.localdate()
    form = HoldoutForm(request.GET or None, today=today)
    report = chart = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = holdout_report(
                data["until"],
                data["horizon"],
                model=data["model"],
                customers=customers_visible_to(request.user),
            )
        except ValueError as e:
            form.add_error(None, str(e).capitalize() + ".")
        else:
            chart = charts.holdout_chart(report.table)
    rows = []
    if report:
        t = report.table
        rows = [
            {
                "label": t.label[i],
                "customers": int(t.n_customers[i]),
                "actual": float(t.actual_mean[i]),
                "predicted": float(t.predicted_mean[i]),
            }
            for i in range(t.frequency.size)
        ]
    context = {
        "form": form,
        "report": report,
        "rows": rows,
        "chart": chart,
        "model_label": services.model_label(report.model) if report else "",
    }
    return render(request, "value/holdout.html", context)


def value_panel_context(request: HttpRequest, customer: Customer) -> dict:
    """The customer page's Value card: tier, P(alive), CLV and what they mean."""
    snapshot = services.snapshot_for(customer)
    business = getattr(request, "business", None) or Business.get()
    if snapshot is None:
        return {
            "snapshot": None,
            "has_purchases": customer.purchases.exists(),
        }
    return {
        "snapshot": snapshot,
        "sentence": value_sentence(customer, snapshot, business.currency),
        "policy": services.tier_policy(snapshot.tier),
        "change": services.p_alive_change(customer),
    }
