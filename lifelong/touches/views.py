"""Touch pages: log a touch (htmx prepends it to the timeline), older touches, edit, delete.

The customer is always reached through the access helper, and the touch is then looked
up within that customer, so nobody reaches a touch of a customer they cannot see.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from lifelong.accounts.views import confirm_page
from lifelong.audit.log import record_request
from lifelong.cursors import BadCursor
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.customers.views import is_htmx
from lifelong.touches import services
from lifelong.touches.access import get_touch_for_user
from lifelong.touches.forms import TouchForm
from lifelong.touches.listing import TouchPage, touch_page
from lifelong.touches.models import Touch


def _timeline_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#timeline"


@login_required
def log(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Log a touch: htmx gets the new timeline entry, a fresh form and the new last touch."""
    customer = get_customer_for_user(request.user, customer_id)
    form = TouchForm(request.POST or None, instance=Touch(customer=customer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            touch = services.log_touch(
                customer,
                user=request.user,
                channel=data["channel"],
                summary=data["summary"],
                direction=data["direction"],
                occurred_at=data["occurred_at"],
                outcome=data["outcome"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            record_request(request, "create", customer_id=customer.pk, target="customer.touches")
            if not is_htmx(request):
                messages.success(request, "Touch logged.")
                return redirect(_timeline_url(customer))
            context = {"customer": customer, "touch": touch, "form": TouchForm(), "new": True}
            return render(request, "touches/_logged.html", context)
    context = {"customer": customer, "form": form}
    if is_htmx(request):
        response = render(request, "touches/_log_form.html", context)
        # The entry goes to the top of the timeline; a form with errors replaces the form.
        response["HX-Retarget"] = "#log-touch"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "touches/log.html", context)


TIMELINE_PAGE = 20


def _timeline(customer: Customer, cursor: str) -> TouchPage:
    """A page of the timeline; a cursor that does not fit starts again from the newest."""
    try:
        return touch_page(customer, cursor=cursor, limit=TIMELINE_PAGE)
    except BadCursor:
        return touch_page(customer, limit=TIMELINE_PAGE)


@login_required
def timeline(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Older touches, after ?cursor=, for the timeline's "Older touches" link."""
    customer = get_customer_for_user(request.user, customer_id)
    cursor = request.GET.get("cursor", "")
    if not is_htmx(request):
        url = reverse("customers:detail", args=[customer.pk])
        return redirect(f"{url}?cursor={cursor}#timeline" if cursor else f"{url}#timeline")
    page = _timeline(customer, cursor)
    context = {"customer": customer, "touches": page.items, "next_cursor": page.next_cursor}
    return render(request, "touches/_timeline_items.html", context)


@login_required
def edit(request: HttpRequest, customer_id: int, touch_id: int) -> HttpResponse:
    touch = get_touch_for_user(request.user, customer_id, touch_id)
    customer = touch.customer
    form = TouchForm(request.POST or None, instance=touch)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_touch(form.instance)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            record_request(request, "change", customer_id=customer.pk, target="customer.touches")
            messages.success(request, "Touch saved.")
            return redirect(_timeline_url(customer))
    return render(
        request, "touches/edit.html", {"customer": customer, "touch": touch, "form": form}
    )


@login_required
def delete(request: HttpRequest, customer_id: int, touch_id: int) -> HttpResponse:
    touch = get_touch_for_user(request.user, customer_id, touch_id)
    customer = touch.customer
    if request.method == "POST":
        services.delete_touch(touch)
        record_request(request, "delete", customer_id=customer.pk, target="customer.touches")
        messages.success(request, "Touch deleted.")
        return redirect(_timeline_url(customer))
    return confirm_page(
        request,
        title="Delete this touch?",
        question=f"“{touch.summary}” will be removed from {customer.display_name}'s timeline.",
        detail="If it was the latest touch, their last-touched date moves back.",
        action=reverse("touches:delete", args=[customer.pk, touch.pk]),
        cancel_url=_timeline_url(customer),
        confirm_label="Delete",
    )


def touch_panel_context(request: HttpRequest, customer: Customer) -> dict:
    """The quick log form and a page of the timeline, for the customer page's panel."""
    cursor = request.GET.get("cursor", "")
    page = _timeline(customer, cursor)
    return {
        "touches": page.items,
        "next_cursor": page.next_cursor,
        "paged": bool(cursor),
        "form": TouchForm(),
    }
