"""The possible-duplicates page and the merge page.

Both customers of a pair are looked up through get_customer_for_user, so a rep sees and
merges only their own; owners and managers anybody's. Merging is a POST from a page that
first shows, field by field, what each record holds and what will move.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lifelong.audit.log import record_request
from lifelong.cursors import BadCursor
from lifelong.customers import duplicates
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.models import Customer

# The rows of the side-by-side comparison: label, and how to read it off a customer.
COMPARED = [
    ("Name", lambda c: c.full_name),
    ("Company", lambda c: c.company),
    ("Job title", lambda c: c.job_title),
    ("Emails", lambda c: ", ".join(e.address for e in c.emails.all())),
    ("Phones", lambda c: ", ".join(p.number for p in c.phones.all())),
    ("Address", lambda c: ", ".join(x for x in (c.street, c.postal_code, c.city, c.country) if x)),
    ("Status", lambda c: c.get_status_display()),
    ("Owner", lambda c: c.owner.display_name),
    ("Tags", lambda c: ", ".join(t.name for t in c.tags.all())),
    ("External id", lambda c: c.external_id or ""),
    ("Added", lambda c: f"{c.created_at:%Y-%m-%d}"),
    ("Last touched", lambda c: f"{c.last_touched_at:%Y-%m-%d}" if c.last_touched_at else ""),
    ("Notes", lambda c: c.notes[:200]),
]


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    visible = customers_visible_to(request.user)
    cursor = request.GET.get("cursor", "")
    try:
        page = duplicates.possible_duplicates(visible, cursor=cursor)
    except BadCursor as e:
        messages.error(request, str(e))
        page = duplicates.possible_duplicates(visible)
    return render(request, "customers/duplicates.html", {"page": page})


def _pair(request: HttpRequest, a: int, b: int) -> tuple[Customer, Customer]:
    return get_customer_for_user(request.user, a), get_customer_for_user(request.user, b)


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, a: int, b: int) -> HttpResponse:
    first, second = _pair(request, a, b)
    try:
        duplicates.dismiss_pair(first, second, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            f"{first.display_name} (#{first.pk}) and {second.display_name} (#{second.pk}) "
            "are marked as different people; the pair will not be suggested again.",
        )
    return redirect("customers:duplicates")


@login_required
def merge(request: HttpRequest, a: int, b: int) -> HttpResponse:
    first, second = _pair(request, a, b)
    if first.pk == second.pk:
        messages.error(request, "A customer cannot be merged with themselves.")
        return redirect("customers:duplicates")
    if request.method == "POST":
        keep_id = request.POST.get("keep", "")
        if keep_id not in (str(first.pk), str(second.pk)):
            messages.error(request, "Choose the record to keep.")
            return redirect("customers:merge", first.pk, second.pk)
        keep, other = (first, second) if keep_id == str(first.pk) else (second, first)
        moved = duplicates.what_moves(other)
        name, other_pk = other.display_name, other.pk
        try:
            duplicates.merge_customers(keep, other, by=request.user)
        except ValidationError as e:
            messages.error(request, "Could not merge: " + " ".join(e.messages))
            return redirect("customers:merge", first.pk, second.pk)
        record_request(request, "change", customer_id=keep.pk, target="customer merged")
        record_request(request, "delete", customer_id=other_pk, target="customer merged")
        messages.success(
            request,
            f"Merged {name} (#{other_pk}) into {keep.display_name}: moved {moved.summary}.",
        )
        return redirect("customers:detail", keep.pk)
    rows = [(label, read(first), read(second)) for label, read in COMPARED]
    context = {
        "first": first,
        "second": second,
        "rows": rows,
        "moves": [duplicates.what_moves(first), duplicates.what_moves(second)],
        "reasons": duplicates.pair_reasons(first, second),
        # The older record is kept by default: it usually holds the longer history.
        "default_keep": min(first.pk, second.pk),
    }
    return render(request, "customers/merge.html", context)
