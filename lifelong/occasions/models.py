"""Dates that come back: birthdays, anniversaries, custom dates, and what was done about them.

An Occasion stores its month and day as told (29 February stays 29 February); the leap-day
rule is applied when an occurrence is worked out (occasions/services.py). Derived occasions
mirror another record (a profile answer, a relative, the customer-since date) and are kept in
sync by signals; the others are added by a person.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lifelong.customers.models import Customer, Relative


class Kind(models.TextChoices):
    BIRTHDAY = "birthday", "Birthday"
    RELATIVE_BIRTHDAY = "relative_birthday", "Relative's birthday"
    WEDDING_ANNIVERSARY = "wedding_anniversary", "Wedding anniversary"
    CUSTOMER_SINCE = "customer_since", "Customer since"
    CUSTOM = "custom", "Custom (every year)"
    ONE_OFF = "one_off", "One-off date"


# The kinds a person adds; the others are derived from another record.
USER_KINDS = (Kind.CUSTOM, Kind.ONE_OFF)


class Occasion(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="occasions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    relative = models.ForeignKey(
        Relative, null=True, blank=True, on_delete=models.CASCADE, related_name="occasions"
    )
    month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])
    year = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty if unknown.")
    label = models.CharField(max_length=200, blank=True)
    derived = models.BooleanField(
        default=False, help_text="Kept in sync from another record; edit it there."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A copy of customer.value_rank, so that upcoming() reads its window in value order
    # and stops at its limit instead of joining and sorting every occurrence. Written by
    # save() (so by the signals), by sync_occasions, by Customer saves (signals.py) and by
    # the value refresh (value.services._mirror_on_customers).
    value_rank = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["month", "day", "id"]
        indexes = [
            # upcoming() asks for the few (month, day) pairs of its window.
            models.Index(fields=["month", "day", "kind", "customer"], name="occasion_month_day"),
            # …best first: one seek per (value_rank, month, day) in value order.
            models.Index(fields=["-value_rank", "month", "day"], name="occasion_rank_day"),
            # (customer has the index every foreign key gets)
        ]
        constraints = [
            # A derived occasion exists once per (customer, kind, relative). NULLs are
            # distinct in a unique index, so the relative-less kinds get their own one.
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(derived=True, relative__isnull=True),
                name="unique_derived_occasion",
            ),
            models.UniqueConstraint(
                fields=["customer", "kind", "relative"],
                condition=Q(derived=True, relative__isnull=False),
                name="unique_derived_relative_occasion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} --{self.month:02d}-{self.day:02d}"

    def save(self, *args, **kwargs) -> None:
        # The customer's value rank as stored (an instance in hand may be stale).
        ranks = Customer.objects.filter(pk=self.customer_id).values_list("value_rank", flat=True)
        self.value_rank = next(iter(ranks), 0)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "value_rank"}
        super().save(*args, **kwargs)


class MarkStatus(models.TextChoices):
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"
    SNOOZED = "snoozed", "Snoozed"


class OccasionMark(models.Model):
    """What was done about one occurrence: done, dismissed, or snoozed until a date."""

    occasion = models.ForeignKey(
        Occasion, on_delete=models.CASCADE, related_name="marks", db_index=False
    )
    on = models.DateField(help_text="The occurrence this mark is about.")
    status = models.CharField(max_length=10, choices=MarkStatus.choices)
    snoozed_until = models.DateField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["occasion", "on"], name="unique_occasion_mark")
        ]
        indexes = [models.Index(fields=["on"], name="occasion_mark_on")]

    def __str__(self) -> str:
        return f"{self.status} {self.on}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's secret calendar address; whoever has the token can read the feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
