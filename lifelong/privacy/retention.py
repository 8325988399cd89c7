"""Retention review: former or archived customers nobody has been in touch with for the
policy's years (RetentionPolicy, default 6) come up, oldest first, to be erased or kept.
"Keep (reviewed)" takes a customer off the list for REVIEW_KEEPS."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.customers.models import Customer, Status
from lifelong.privacy.models import RetentionPolicy, RetentionReview

REVIEW_KEEPS = dt.timedelta(days=365)


def _years_ago(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def due_for_review(now: dt.datetime | None = None, years: int | None = None) -> QuerySet[Customer]:
    """Former or archived, not erased, no touch (or, never touched, created) for `years`
    (the policy's), not kept on review within a year; the longest quiet first."""
    now = now or timezone.now()
    years = years if years is not None else RetentionPolicy.get().years
    cutoff = _years_ago(now, years)
    reviewed = RetentionReview.objects.filter(reviewed_at__gt=now - REVIEW_KEEPS)
    return (
        Customer.objects.not_erased()
        .filter(Q(status=Status.FORMER) | Q(archived_at__isnull=False))
        .annotate(quiet_since=Coalesce("last_touched_at", "created_at"))
        .filter(quiet_since__lt=cutoff)
        .exclude(pk__in=reviewed.values("customer_id"))
        .select_related("owner")
        .order_by("quiet_since", "id")
    )


def keep(customer: Customer, *, by: User | None) -> RetentionReview:
    """Reviewed and kept: off the list for a year."""
    review, _ = RetentionReview.objects.update_or_create(
        customer=customer, defaults={"reviewed_at": timezone.now(), "reviewed_by": by}
    )
    return review


def set_years(years: int, *, by: User | None) -> RetentionPolicy:
    policy = RetentionPolicy.get()
    policy.years = years
    try:
        policy.full_clean()
    except ValidationError as e:
        raise ValidationError({"years": e.message_dict.get("years", e.messages)}) from None
    policy.updated_at, policy.updated_by = timezone.now(), by
    policy.save()
    return policy
