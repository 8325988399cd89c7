"""The outbox, the suppression list, and the public unsubscribe and preference pages.

(Template views live in template_views.py.)
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lifelong.accounts.access import require_manager
from lifelong.cursors import BadCursor
from lifelong.outreach import access, compliance, outbox, sending
from lifelong.outreach.models import MessageStatus, Suppression, SuppressionReason

# ---------------------------------------------------------------- public: no login


def _recipient(token: str) -> compliance.Recipient:
    recipient = compliance.read_token(token)
    if recipient is None:
        raise Http404("This link is not valid.")
    return recipient


def _unsubscribe_page(request: HttpRequest, token: str, page: str) -> HttpResponse:
    recipient = _recipient(token)
    done = False
    if request.method == "POST":
        how = "preference page" if page == "preferences" else "unsubscribe link"
        compliance.unsubscribe(recipient, how=how)
        done = True
    state = compliance.recipient_state(recipient)
    return render(
        request,
        "outreach/unsubscribe.html",
        {"recipient": recipient, "page": page, "done": done, "state": state, "token": token},
    )


@csrf_exempt  # RFC 8058: mail providers POST with no cookies and no form token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button; POST (the button, or a one-click List-Unsubscribe-Post):
    suppress the address and withdraw marketing consent, answering 200 without redirect."""
    return _unsubscribe_page(request, token, "unsubscribe")


@csrf_exempt  # the same form, posted from a page reached from an email
@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The footer's link: what we send to the address, and a button to stop marketing."""
    return _unsubscribe_page(request, token, "preferences")


# ---------------------------------------------------------------- the outbox


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    qs = access.messages_visible_to(request.user).select_related("customer", "program")
    status = request.GET.get("status", "")
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    cursor = request.GET.get("cursor", "")
    cursor_error = ""
    try:
        page = outbox.id_page(qs, cursor=cursor)
    except BadCursor as e:
        cursor_error, cursor = str(e), ""
        page = outbox.id_page(qs)
    return render(
        request,
        "outreach/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": MessageStatus.choices,
            "cursor": cursor,
            "cursor_error": cursor_error,
        },
    )


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = access.get_message_for_user(request.user, pk)
    headers: list[tuple[str, str]] = []
    try:
        email = sending.build_email(message, sending.Envelope.current(), now=timezone.now())
        headers = [(k, str(v)) for k, v in email.items()]
    except (ValueError, TypeError, ImproperlyConfigured) as e:  # what the worker would fail on
        headers = [("(error)", f"The email cannot be built: {e}")]
    return render(request, "outreach/message.html", {"message": message, "headers": headers})


@login_required
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = access.get_message_for_user(request.user, pk)
    try:
        outbox.retry_message(message)
    except ValidationError as e:
        flash.error(request, " ".join(e.messages))
    else:
        flash.success(request, f"Queued again: {message.subject} to {message.to_address}.")
    return redirect("outreach:message", pk=message.pk)


# ---------------------------------------------------------------- suppression list


class SuppressionForm(forms.Form):
    address = forms.EmailField(label="Email address", max_length=254)
    note = forms.CharField(max_length=300, required=False, help_text="Why, for the record.")


@login_required
def suppression_list(request: HttpRequest) -> HttpResponse:
    require_manager(request.user, "manage the suppression list")
    form = SuppressionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            compliance.suppress(
                form.cleaned_data["address"],
                SuppressionReason.MANUAL,
                note=form.cleaned_data["note"] or f"Added by {request.user.display_name}",
            )
        except ValidationError as e:
            form.add_error("address", " ".join(e.messages))
        else:
            flash.success(request, f"{form.cleaned_data['address']} will not be emailed again.")
            return redirect("outreach:suppressions")
    qs = Suppression.objects.all()
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(address__icontains=q)
    cursor = request.GET.get("cursor", "")
    cursor_error = ""
    try:
        page = outbox.id_page(qs, cursor=cursor)
    except BadCursor as e:
        cursor_error, cursor = str(e), ""
        page = outbox.id_page(qs)
    return render(
        request,
        "outreach/suppressions.html",
        {"form": form, "page": page, "q": q, "cursor": cursor, "cursor_error": cursor_error},
    )


@login_required
@require_http_methods(["GET", "POST"])
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_manager(request.user, "manage the suppression list")
    suppression = get_object_or_404(Suppression, pk=pk)
    if request.method == "POST":
        try:
            compliance.remove_suppression(suppression)
        except ValidationError as e:
            flash.error(request, " ".join(e.messages))
        else:
            flash.success(request, f"{suppression.address} may be emailed again.")
        return redirect("outreach:suppressions")
    return render(
        request,
        "confirm.html",
        {
            "title": "Remove from the suppression list",
            "question": f"Allow email to {suppression} again?",
            "detail": f"It was suppressed: {suppression.get_reason_display()}"
            + (f" ({suppression.note})" if suppression.note else "")
            + ". Only do this if the person asked to hear from you again.",
            "action": reverse("outreach:suppression_remove", args=[suppression.pk]),
            "confirm_label": "Remove",
            "cancel_url": reverse("outreach:suppressions"),
            "danger": True,
        },
    )
