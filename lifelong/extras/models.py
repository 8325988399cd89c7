"""Do a bit more: the extras a business may give, the rules that suggest one on a big
order, the suggestions they made and the extras given (with their cost, copied)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer


class Extra(models.Model):
    """Something given for free: free delivery, an extended warranty, a gift."""

    name = models.CharField(max_length=200)
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)],
        help_text="What it costs the business, in its currency.",
    )  # fmt: skip
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ExtraRule(models.Model):
    """When an order suggests an extra. A regular customer (at least min_purchases orders,
    counting this one; or in one of tier_in; or anybody when both are empty) placing an
    order of at least order_multiple times the average of their earlier orders."""

    name = models.CharField(max_length=200)
    min_purchases = models.PositiveIntegerField(null=True, blank=True)
    tier_in = models.JSONField(default=list, blank=True, help_text='Tiers, e.g. ["A"].')
    order_multiple = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
        help_text="The order is at least this many times the customer's average order.",
    )  # fmt: skip
    extra = models.ForeignKey(Extra, on_delete=models.PROTECT, related_name="rules")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ExtraGiven(models.Model):
    """An extra given to a customer: what, what it cost then, when and by whom."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="extras_given", db_index=False
    )
    extra = models.ForeignKey(Extra, on_delete=models.PROTECT, related_name="given")
    cost = models.DecimalField(max_digits=12, decimal_places=2)
    given_at = models.DateTimeField(default=timezone.now)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(max_length=500, blank=True)
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["customer", "given_at"], name="extra_given_customer")]

    def __str__(self) -> str:
        return f"{self.extra} to {self.customer_id}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", "Open"
    GIVEN = "given", "Given"
    DECLINED = "declined", "Declined"


class ExtraSuggestion(models.Model):
    """A rule fired on an order: the agenda shows it until it is given or declined."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rule = models.ForeignKey(ExtraRule, on_delete=models.CASCADE, related_name="suggestions")
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="+")
    multiple = models.FloatField(null=True, help_text="The order over the customer's average.")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    snoozed_until = models.DateField(null=True, blank=True)
    given = models.ForeignKey(
        ExtraGiven, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="extra_suggestion_status"),
            models.Index(fields=["customer", "created_at"], name="extra_suggestion_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} for {self.customer_id}: {self.status}"
