"""The upgrade page of a product version: who still has an older version (counts per
version, a rep sees their own customers), the offers made and how they did, and the
form that prepares a new offer (owners and managers)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from lifelong.accounts.models import Business
from lifelong.commerce import services, upgrades
from lifelong.commerce.models import ProductVersion

SHOWN = 50


class OfferForm(forms.Form):
    price = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, label="Offer price")
    expires_on = forms.DateField(
        label="Offer holds until", widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def upgrade(request: HttpRequest, product_id: int, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        ProductVersion.objects.select_related("product", "supersedes"),
        pk=version_id,
        product_id=product_id,
    )
    can_edit = services.may_edit_products(request.user) and upgrades.is_upgrade(version)
    form = OfferForm(
        request.POST or None,
        initial={"expires_on": Business.get().today() + dt.timedelta(days=30)},
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only owners and managers prepare upgrade offers.")
        if form.is_valid():
            try:
                offer = upgrades.prepare_offer(version, by=request.user, **form.cleaned_data)
            except ValidationError as e:
                form.add_error(None, e)
            else:
                n = offer.program.messages.count()
                messages.success(
                    request, f"Upgrade offer prepared: {n} draft(s) to review before they go."
                )
                return redirect("outreach:program", offer.program_id)
    candidates = upgrades.candidates(version, visible_to=request.user)
    counts = upgrades.upgrade_candidates(version, visible_to=request.user)
    labels = {v.pk: v.label for v, _ in counts}
    shown = list(candidates.select_related("owner").order_by("sort_name", "pk")[:SHOWN])
    for c in shown:
        c.old_label = labels.get(c.old_version_id, "")
    context = {
        "version": version,
        "product": version.product,
        "is_upgrade": upgrades.is_upgrade(version),
        "counts": counts,
        "total": sum(n for _, n in counts),
        "shown": shown,
        "offers": upgrades.offers_for(version),
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "commerce/upgrade.html", context)
