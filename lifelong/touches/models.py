"""The contact log: every interaction with a customer, on any channel."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer


class Channel(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    VISIT = "visit", "Visit"
    LETTER = "letter", "Letter"
    TEXT = "text", "Text message"
    GIFT = "gift", "Gift"
    EVENT = "event", "Event"
    OTHER = "other", "Other"


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class Touch(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="touches", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="touches",
    )  # fmt: skip
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=500)
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at", "id"], name="touch_customer_timeline")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.summary}"
