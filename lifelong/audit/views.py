"""The audit log page: owners only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lifelong.accounts.views import owner_required
from lifelong.audit.forms import AuditFilterForm
from lifelong.audit.listing import audit_page
from lifelong.cursors import BadCursor
from lifelong.customers.models import Customer


@owner_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who viewed, exported or changed personal data, newest first, 50 a page, filtered."""
    form = AuditFilterForm(request.GET)
    filters = form.filters()
    cursor = request.GET.get("cursor", "")
    cursor_error = ""
    try:
        page = audit_page(filters, cursor=cursor)
    except BadCursor as e:
        cursor_error, cursor = str(e), ""
        page = audit_page(filters)
    # Link the customers that still exist; an erased or merged-away one is only a number.
    ids = {e.customer_id for e in page.items if e.customer_id is not None}
    existing = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "cursor": cursor,
        "cursor_error": cursor_error,
        "existing": existing,
    }
    return render(request, "audit/log.html", context)
