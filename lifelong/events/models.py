"""Events (a working lunch, an open house, a seminar) and the invitations to them.

An Invitation is one customer invited to one event: its token is the customer's RSVP
link (no login), its message the outbox row that carried the invitation, its rsvp what
they answered. A "yes" past the capacity is waitlisted; attendance is recorded after the
event and logged as a touch.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer


class Kind(models.TextChoices):
    WORKING_LUNCH = "working_lunch", "Working lunch"
    OPEN_HOUSE = "open_house", "Open house"
    SEMINAR = "seminar", "Seminar"
    OTHER = "other", "Other"


class Event(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OPEN_HOUSE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many can come; empty: no limit."
    )
    description = models.TextField(blank=True)
    program = models.ForeignKey(
        "outreach.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The one-off program its invitations go out through, made on first invite.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Rsvp(models.TextChoices):
    NONE = "none", "No answer yet"
    YES = "yes", "Yes"
    NO = "no", "No"
    MAYBE = "maybe", "Maybe"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    # Random, not derived from ids: the RSVP link is the only thing a guest holds.
    token = models.CharField(max_length=64, unique=True, default=new_token)
    invited_at = models.DateTimeField(default=timezone.now)
    message = models.ForeignKey(
        "outreach.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rsvp = models.CharField(max_length=5, choices=Rsvp.choices, default=Rsvp.NONE)
    rsvp_at = models.DateTimeField(null=True, blank=True)
    waitlisted = models.BooleanField(default=False)
    # Moved up from the wait list when a place came free; the owner's agenda says so until
    # they mark it done (promotion_noted_at).
    promoted_at = models.DateTimeField(null=True, blank=True)
    promotion_noted_at = models.DateTimeField(null=True, blank=True)
    promotion_snoozed_until = models.DateField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    attended_touch = models.ForeignKey(
        "touches.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["event", "customer__sort_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "customer"], name="unique_event_invitation")
        ]
        indexes = [
            models.Index(fields=["customer", "invited_at"], name="event_invitation_customer")
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.event}"
