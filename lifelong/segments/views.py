"""Segment pages: the list with live counts, the editor with its live count and preview,
a segment's page, and delete with confirmation.

Everybody logged in sees the segments; counts and previews cover only the customers the
viewer may see. Owners and managers change them (services.may_edit_segments).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from lifelong.accounts.views import confirm_page
from lifelong.segments import services
from lifelong.segments.forms import SegmentForm
from lifelong.segments.models import Segment


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for segment in Segment.objects.all():
        try:
            spec = services.spec_of(segment)
        except ValidationError:  # stored before a filter changed: say so, do not fail
            rows.append({"segment": segment, "count": None, "summary": ["Filters need fixing"]})
            continue
        rows.append(
            {
                "segment": segment,
                "count": services.count(spec, visible_to=request.user),
                "summary": services.describe(spec),
            }
        )
    context = {"rows": rows, "can_edit": services.may_edit_segments(request.user)}
    return render(request, "segments/list.html", context)


@login_required
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=segment_id)
    spec = services.spec_of(segment)
    context = {
        "segment": segment,
        "summary": services.describe(spec),
        "count": services.count(spec, visible_to=request.user),
        "preview": services.preview(spec, visible_to=request.user),
        "can_edit": services.may_edit_segments(request.user),
    }
    return render(request, "segments/detail.html", context)


@login_required
def segment_new(request: HttpRequest) -> HttpResponse:
    services.check_may_edit(request.user)
    return _editor(request, Segment())


@login_required
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    services.check_may_edit(request.user)
    return _editor(request, get_object_or_404(Segment, pk=segment_id))


def _editor(request: HttpRequest, segment: Segment) -> HttpResponse:
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                services.save_segment(
                    segment, name=form.cleaned_data["name"], filters=form.spec, by=request.user
                )
            except ValidationError as e:
                for field, errors in e.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Segment {segment.name} saved.")
                return redirect("segments:detail", segment.pk)
    elif segment.pk:
        form = SegmentForm(
            initial=SegmentForm.initial_from(segment.name, services.spec_of(segment))
        )
    else:
        form = SegmentForm()
    spec = getattr(form, "spec", None)
    if spec is None and not form.is_bound:
        spec = services.spec_of(segment)
    context = {"form": form, "segment": segment, **_live(request, spec)}
    return render(request, "segments/form.html", context)


def _live(request: HttpRequest, spec: services.FilterSpec | None) -> dict:
    if spec is None:
        return {"count": None, "preview": []}
    return {
        "count": services.count(spec, visible_to=request.user),
        "preview": services.preview(spec, visible_to=request.user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count and preview for the filters in the editor (htmx swaps them in)."""
    form = SegmentForm(request.POST or request.GET, require_name=False)
    valid = form.is_valid()
    context = {"form": form, **_live(request, form.spec if valid else None)}
    return render(request, "segments/_live.html", context)


@login_required
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    services.check_may_edit(request.user)
    segment = get_object_or_404(Segment, pk=segment_id)
    in_use = services.programs_using(segment)
    if request.method == "POST":
        try:
            services.delete_segment(segment)
        except services.SegmentInUse as e:
            messages.error(request, f"{segment.name} was not deleted. {e}")
            return redirect("segments:detail", segment.pk)
        messages.success(request, f"Segment {segment.name} deleted.")
        return redirect("segments:list")
    if in_use:
        messages.error(
            request, f"{segment.name} cannot be deleted. {services.in_use_message(in_use)}"
        )
        return redirect("segments:detail", segment.pk)
    return confirm_page(
        request,
        title=f"Delete the segment {segment.name}?",
        question="The saved filter goes; no customer is changed.",
        action=reverse("segments:delete", args=[segment.pk]),
        cancel_url=reverse("segments:detail", args=[segment.pk]),
        confirm_label="Delete segment",
    )
