"""Event pages: the list with RSVP counts, an event with its invitations and attendance,
create and edit and invite (owners and managers), and the public RSVP page (no login)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifelong.accounts.models import Business
from lifelong.events import access, services
from lifelong.events.models import Event, Rsvp
from lifelong.segments.models import Segment

SUGGESTED = "suggested"


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["name", "kind", "starts_at", "ends_at", "place", "capacity", "description"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"starts_at": "Starts", "ends_at": "Ends"}


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    rows = services.with_counts(access.events_visible_to(request.user))
    now = timezone.now()
    context = {
        "upcoming": [e for e in rows if e.ends_at >= now][::-1],
        "past": [e for e in rows if e.ends_at < now],
        "can_edit": services.may_edit_events(request.user),
    }
    return render(request, "events/list.html", context)


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access.get_event_for_user(request.user, event_id)
    invitations = access.invitations_visible_to(request.user, event)
    context = {
        "event": event,
        "when": services.when_words(event),
        "invitations": invitations,
        "counts": services.counts_of(invitations),
        "can_edit": services.may_edit_events(request.user),
        "started": event.starts_at <= timezone.now(),
    }
    return render(request, "events/detail.html", context)


def _event_form(request: HttpRequest, event: Event) -> HttpResponse:
    services.check_may_edit(request.user)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_event(form.instance, by=request.user)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"{event.name} saved.")
            return redirect("events:detail", event.pk)
    return render(request, "events/form.html", {"form": form, "event": event})


@login_required
def event_new(request: HttpRequest) -> HttpResponse:
    return _event_form(request, Event())


@login_required
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access.get_event_for_user(request.user, event_id)
    return _event_form(request, event)


@login_required
def event_invite(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access.get_event_for_user(request.user, event_id)
    services.check_may_edit(request.user)
    segments = list(Segment.objects.all())
    if request.method == "POST":
        choice = request.POST.get("to", "")
        if choice == SUGGESTED:
            customers, label = services.suggested_customers(), "the suggested customers"
        else:
            segment = next((s for s in segments if str(s.pk) == choice), None)
            if segment is None:
                messages.error(request, "Choose whom to invite.")
                return redirect("events:invite", event.pk)
            customers, label = services.segment_customers(segment), segment.name
        result = services.invite(event, customers, by=request.user)
        messages.success(
            request,
            f"Invited {result.invited} of {label}; {result.queued} invitation(s) are in the "
            f"outbox." + (f" {result.already} had been invited already." if result.already else ""),
        )
        return redirect("events:detail", event.pk)
    context = {
        "event": event,
        "segments": segments,
        "suggested": services.suggested_customers().count(),
        "months": services.SUGGESTION_MONTHS,
    }
    return render(request, "events/invite.html", context)


@login_required
@require_POST
def event_attendance(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access.get_event_for_user(request.user, event_id)
    invitations = access.invitations_visible_to(request.user, event)
    ticked = {int(v) for v in request.POST.getlist("attended") if v.isdigit()}
    came, added = services.record_attendance(event, invitations, ticked, by=request.user)
    messages.success(request, f"Attendance saved: {came} came; {added} new touch(es) logged.")
    return redirect(reverse("events:detail", args=[event.pk]) + "#attendance")


def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    """The guest's page: answer yes, no or maybe, and change their mind later."""
    invitation = services.invitation_by_token(token)
    answered = None
    past = invitation.event.ends_at < timezone.now()
    if request.method == "POST" and not past:
        choice = request.POST.get("rsvp", "")
        if choice in (Rsvp.YES, Rsvp.NO, Rsvp.MAYBE):
            answered = services.answer(invitation, choice)
            invitation = answered.invitation
    event = invitation.event
    context = {
        "invitation": invitation,
        "event": event,
        "when": services.when_words(event),
        "answered": answered is not None,
        "past": past,
        "business": Business.get(),
        "choices": [(Rsvp.YES, "Yes, I'll come"), (Rsvp.MAYBE, "Maybe"), (Rsvp.NO, "No")],
    }
    return render(request, "events/rsvp.html", context)
