"""Consent history and the retention review (see docs/privacy.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer


class How(models.TextChoices):
    FORM = "form", "Customer form"
    API = "api", "API"
    IMPORT = "import", "Import"
    UNSUBSCRIBE = "unsubscribe link", "Unsubscribe link"
    PREFERENCES = "preference page", "Preference page"
    MERGE = "merge", "Merge of two records"
    DEMO = "demo", "Demo data"
    EARLIER = "earlier", "Recorded before the history began"
    OTHER = "other", "Other"


class ConsentChange(models.Model):
    """One change of a customer's marketing consent: given or withdrawn, when, by whom
    (a user, or nobody for the customer's own click), and how. Written only through
    privacy.consent.record_consent_change(s)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consent_changes", db_index=False
    )
    channel = models.CharField(max_length=10, default="email")
    given = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    how = models.CharField(max_length=20, choices=How.choices)
    source = models.CharField(max_length=200, blank=True, help_text="In words, as given.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="consent_change_customer")]

    def __str__(self) -> str:
        return f"{'given' if self.given else 'withdrawn'} {self.at:%Y-%m-%d} ({self.how})"


class RetentionPolicy(models.Model):
    """One row: after how many years without a touch a former or archived customer comes
    up for review (erase, or keep for another year)."""

    years = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Former or archived customers with no touch for this many years are listed.",
    )  # fmt: skip
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Review after {self.years} years"

    @classmethod
    def get(cls) -> RetentionPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls.objects.create()


class RetentionReview(models.Model):
    """Somebody looked at this customer on the retention list and kept the record: it
    leaves the list for a year (privacy.retention.REVIEW_KEEPS)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="retention_review"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Kept {self.reviewed_at:%Y-%m-%d}"
