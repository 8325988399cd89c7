"""Saving, deleting and counting segments.

Segments are shared, business-wide definitions: every logged-in user may see and use
them (a rep's counts and previews cover only the rep's own customers), and owners and
managers create, edit and delete them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone

from lifelong.accounts.access import manages_business, require_manager
from lifelong.accounts.models import User
from lifelong.customers.models import Customer
from lifelong.segments.filters import (
    FilterSpec,
    check_references,
    customers_matching,
    parse_filters,
)
from lifelong.segments.models import Segment

PREVIEW_SIZE = 20


class SegmentInUse(Exception):
    """The segment is the audience of a program and cannot be deleted."""


def may_edit_segments(user: User) -> bool:
    return manages_business(user)


def check_may_edit(user: User) -> None:
    require_manager(user, "change segments")


def spec_of(segment: Segment) -> FilterSpec:
    """The segment's stored filters as a spec (validated when saved)."""
    return parse_filters(segment.filters)


def members(segment: Segment, *, visible_to: User | None = None) -> QuerySet[Customer]:
    """The customers in `segment` now; only those `visible_to` may see when given."""
    return customers_matching(spec_of(segment), visible_to=visible_to)


def count(spec: FilterSpec, *, visible_to: User | None = None) -> int:
    return customers_matching(spec, visible_to=visible_to).count()


def preview(spec: FilterSpec, *, visible_to: User | None = None) -> list[Customer]:
    """The first PREVIEW_SIZE matching customers in name order."""
    qs = customers_matching(spec, visible_to=visible_to).select_related("owner")
    return list(qs.order_by("sort_name", "id")[:PREVIEW_SIZE])


@transaction.atomic
def save_segment(
    segment: Segment, *, name: str, filters: dict[str, Any] | FilterSpec, by: User | None = None
) -> Segment:
    """Validate and store `segment` with `name` and `filters`; ValidationError by field
    ("name", or the filter's own name)."""
    spec = filters if isinstance(filters, FilterSpec) else parse_filters(filters)
    check_references(spec)
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the segment a name."]})
    if len(name) > Segment._meta.get_field("name").max_length:
        raise ValidationError({"name": ["Keep the name under 200 characters."]})
    segment.name = name
    segment.filters = spec.as_json()
    segment.updated_at = timezone.now()
    if segment.pk is None:
        segment.created_by = by
        segment.created_at = segment.updated_at
    segment.save()
    return segment


def programs_using(segment: Segment) -> list[str]:
    """The names of the programs that send to `segment` (outreach.Program.segment)."""
    return list(segment.programs.values_list("name", flat=True))


def delete_segment(segment: Segment) -> None:
    """Delete `segment`; SegmentInUse when a program still sends to it."""
    names = programs_using(segment)
    if names:
        raise SegmentInUse(in_use_message(names))
    try:
        segment.delete()
    except ProtectedError:  # a program was added since we looked
        raise SegmentInUse(in_use_message(programs_using(segment))) from None


def in_use_message(names: list[str]) -> str:
    listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    word = "program sends" if len(names) == 1 else "programs send"
    return f"The {word} to this segment: {listed}. Change or delete them first."


def describe(spec: FilterSpec) -> list[str]:
    """The filters of `spec` in plain words, one line per filter, for people to read."""
    from lifelong.commerce.models import Product, ProductVersion
    from lifelong.customers.models import Status

    lines: list[str] = []
    if spec.status:
        lines.append("Status: " + " or ".join(Status(s).label for s in spec.status))
    if spec.tier:
        lines.append("Tier: " + " or ".join("none yet" if t == "none" else t for t in spec.tier))
    if spec.tags:
        lines.append("Tagged " + " or ".join(spec.tags))
    if spec.owner:
        users = User.objects.filter(pk__in=spec.owner)
        lines.append("Owned by " + " or ".join(u.display_name for u in users))
    if spec.products:
        products = Product.objects.filter(pk__in=spec.products)
        lines.append("Bought " + " or ".join(p.name for p in products))
    if spec.versions:
        versions = ProductVersion.objects.filter(pk__in=spec.versions).select_related("product")
        lines.append("Bought version " + " or ".join(str(v) for v in versions))
    if spec.last_purchase_after:
        lines.append(f"Last purchase on or after {spec.last_purchase_after:%-d %b %Y}")
    if spec.last_purchase_before:
        lines.append(f"Last purchase before {spec.last_purchase_before:%-d %b %Y}")
    if spec.never_touched:
        lines.append("Never touched")
    if spec.not_touched_for_days:
        lines.append(f"No touch for {spec.not_touched_for_days} days or more")
    if spec.birthday_this_month:
        lines.append("Birthday this month")
    if spec.consent:
        lines.append("Gave marketing consent" if spec.consent == "yes" else "No marketing consent")
    if spec.include_archived:
        lines.append("Archived customers included")
    return lines or ["Every active customer"]
