"""Referrals (who brought whom), the asks for them, and what was done about their agenda items.

Referral is the record of an introduction. Customer.referred_by mirrors it (for the
customer form, the CSV import and export): recording a referral sets referred_by, and
setting referred_by on a customer creates or moves the referral (referrals/signals.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer
from lifelong.touches.models import Channel


class ReferralStatus(models.TextChoices):
    INTRODUCED = "introduced", "Introduced"
    CONTACTED = "contacted", "Contacted"
    BECAME_CUSTOMER = "became_customer", "Became a customer"
    NOT_INTERESTED = "not_interested", "Not interested"


class Referral(models.Model):
    """`referrer` introduced `referred` to the business. A person is referred once."""

    referrer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="referrals_given", db_index=False
    )
    referred = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="referral",
        help_text="The prospect or customer they brought.",
    )  # fmt: skip
    referred_on = models.DateField(default=timezone.localdate)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.INTRODUCED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    converted_on = models.DateField(
        null=True, blank=True, help_text="When the person referred became a customer."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [
            models.Index(fields=["referrer", "status"], name="referral_referrer_status"),
            models.Index(fields=["referred_on", "id"], name="referral_recent"),
            models.Index(fields=["converted_on"], name="referral_converted"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referred_id} ({self.status})"


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    LATER = "later", "Later"
    NO_ANSWER = "no_answer", "No answer yet"


class ReferralAsk(models.Model):
    """One time somebody asked `customer` for a referral, and what they said."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="referral_asks", db_index=False
    )
    asked_at = models.DateTimeField(default=timezone.now)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.CALL)
    answer = models.CharField(max_length=10, choices=Answer.choices, default=Answer.NO_ANSWER)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "asked_at"], name="referral_ask_customer"),
            models.Index(fields=["asked_at", "id"], name="referral_ask_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} asked {self.asked_at:%Y-%m-%d}: {self.answer}"


class MarkStatus(models.TextChoices):
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"
    SNOOZED = "snoozed", "Snoozed"


class AgendaMark(models.Model):
    """What was done about a referral agenda item of `customer`.

    key is "ask" (one per customer: the latest snooze or dismissal of its ask item) or
    "thanks:<referral id>:arrived" / "thanks:<referral id>:converted".
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=MarkStatus.choices)
    snoozed_until = models.DateField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="unique_referral_mark")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.key}: {self.status}"
