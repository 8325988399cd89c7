"""Occasion pages: the customer-page panel, adding and deleting dates, the feed and its page.

Customers are reached through the customers access helper and occasions through
occasions.access, so nobody reaches a date of a customer they cannot see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from lifelong.accounts.views import confirm_page
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.occasions import feed, services
from lifelong.occasions.access import get_occasion_for_user
from lifelong.occasions.forms import OccasionForm
from lifelong.occasions.models import CalendarFeed, Occasion

PAGE_DAYS = 30
PAGE_LIMIT = 100


@dataclass(frozen=True)
class Row:
    """An occasion on the customer page: what, when next, and where to change it."""

    occasion: Occasion
    next_on: dt.date | None  # a past one-off has none…
    passed_on: dt.date | None  # …but the day it was
    title: str
    years: int | None
    edit_at: str


def _panel_rows(customer: Customer) -> list[Row]:
    today = services.local_today()
    rows = []
    for occasion in customer.occasions.select_related("relative"):
        on = services.next_occurrence(occasion, today)
        rows.append(
            Row(
                occasion=occasion,
                next_on=on,
                passed_on=(
                    dt.date(occasion.year, occasion.month, occasion.day)
                    if on is None and occasion.year
                    else None
                ),
                title=services.title_of(occasion, on),
                years=services.years_at(occasion, on) if on else None,
                edit_at=services.where_to_edit(occasion),
            )
        )
    # Soonest first; past one-offs last.
    rows.sort(key=lambda r: (r.next_on is None, r.next_on or today, r.occasion.pk))
    return rows


def occasion_panel_context(request: HttpRequest, customer: Customer) -> dict:
    return {
        "occasion_rows": _panel_rows(customer),
        "occasion_form": OccasionForm(),
        "today": services.local_today(),
    }


def _panel_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#occasions"


@login_required
def add(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Add a custom or one-off date; errors show on a page of their own with the form."""
    customer = get_customer_for_user(request.user, customer_id)
    form = OccasionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_occasion(
                customer, kind=data["kind"], label=data["label"], date=data["date"]
            )
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{data['label'].strip()} added.")
            return redirect(_panel_url(customer))
    status = 422 if request.method == "POST" else 200
    context = {"customer": customer, "form": form}
    return render(request, "occasions/add.html", context, status=status)


@login_required
def delete(request: HttpRequest, customer_id: int, occasion_id: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, customer_id)
    occasion = get_occasion_for_user(request.user, occasion_id)
    if occasion.customer_id != customer.pk:
        raise Http404("No such occasion")
    if occasion.derived:
        messages.error(
            request,
            f"This date comes from {services.where_to_edit(occasion)}; change it there.",
        )
        return redirect(_panel_url(customer))
    if request.method == "POST":
        services.delete_occasion(occasion)
        messages.success(request, f"{occasion.label} deleted.")
        return redirect(_panel_url(customer))
    return confirm_page(
        request,
        title="Delete this date?",
        question=f"Delete “{occasion.label}” from {customer.display_name}'s dates?",
        detail="Its reminders go with it.",
        action=request.path,
        cancel_url=_panel_url(customer),
        confirm_label="Delete",
    )


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("occasions:feed", args=[token]))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The user's calendar address and the next 30 days of their customers' occasions."""
    today = services.local_today()
    found = services.upcoming(
        customers_visible_to(request.user), today, days=PAGE_DAYS, limit=PAGE_LIMIT + 1
    )
    token = feed.feed_for(request.user).token
    feed_url = _feed_url(request, token)
    context = {
        "upcoming": found[:PAGE_LIMIT],
        "more": len(found) > PAGE_LIMIT,
        "limit": PAGE_LIMIT,
        "days": PAGE_DAYS,
        "today": today,
        "feed_url": feed_url,
        "webcal_url": "webcal://" + feed_url.split("://", 1)[-1],
    }
    return render(request, "occasions/index.html", context)


@login_required
def reset(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        feed.reset_feed(request.user)
        messages.success(
            request, "Your calendar has a new address. Subscribe to it again; the old one is dead."
        )
        return redirect("occasions:index")
    return confirm_page(
        request,
        title="Reset your calendar address?",
        question="The calendars subscribed to the current address stop getting your dates.",
        detail="Do it when the address may have reached somebody it should not have.",
        action=request.path,
        cancel_url=reverse("occasions:index"),
        confirm_label="Reset the address",
    )


@require_GET
def calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The feed, for calendar applications: the secret token is the only key."""
    found = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active:
        raise Http404("No such calendar")

    def customer_url(pk: int) -> str:
        return request.build_absolute_uri(reverse("customers:detail", args=[pk]))

    body = feed.calendar_for(found.user, customer_url, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="occasions.ics"'
    response["Cache-Control"] = "private, max-age=3600"
    return response
