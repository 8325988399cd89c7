"""The value app's database tables (Django models); the maths is in value/models/.

ValueSnapshot holds each customer's latest figures, rewritten by services.refresh_values;
ValueFit records each refresh (the fitted parameters, or why there were none); and
AliveHistory keeps one P(alive) per customer and month, so that a fall can be noticed.
"""

from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer


class Tier(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class ValueFit(models.Model):
    """One refresh (or a `value fit`): the models' parameters and how they fitted.

    params, log_likelihood and std_errors are those of the purchase model (BG/NBD or
    Pareto/NBD); spend_* those of Gamma-Gamma. When a model was skipped, its fields are
    empty and `skipped` says why in a sentence.
    """

    computed_at = models.DateTimeField(default=timezone.now, db_index=True)
    until = models.DateField(help_text="The last day of purchases the fit saw.")
    unit = models.CharField(max_length=10, default="weeks")
    model = models.CharField(max_length=20, blank=True)
    params = models.JSONField(default=dict)
    log_likelihood = models.FloatField(null=True)
    std_errors = models.JSONField(default=dict)
    converged = models.BooleanField(default=False)
    spend_params = models.JSONField(default=dict)
    spend_log_likelihood = models.FloatField(null=True)
    spend_std_errors = models.JSONField(default=dict)
    n_customers = models.PositiveIntegerField(default=0)
    n_repeat_buyers = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    skipped = models.TextField(blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = "computed_at"

    def __str__(self) -> str:
        return f"{self.model or 'no model'} until {self.until}"


class ValueSnapshot(models.Model):
    """A customer's value as of the last refresh; only customers with purchases have one.

    p_alive, expected_purchases_90d and the clv_* figures are null when the refresh had
    too little data for a model (ValueFit.skipped says why); revenue, RFM and tier are
    always there. Money is in the business's currency.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="value"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    fit = models.ForeignKey(
        ValueFit, null=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The refresh that wrote it.",
    )  # fmt: skip
    model = models.CharField(max_length=20, blank=True, help_text="Empty when no model ran.")
    p_alive = models.FloatField("P(alive)", null=True)
    expected_purchases_90d = models.FloatField(null=True)
    expected_spend = models.FloatField(null=True, help_text="Per purchase, from Gamma-Gamma.")
    clv_1y = models.FloatField("CLV 1 year", null=True)
    clv_2y = models.FloatField("CLV 2 years", null=True)
    clv_10y = models.FloatField("CLV 10 years", null=True)
    revenue = models.DecimalField(max_digits=16, decimal_places=2)
    purchase_count = models.PositiveIntegerField()
    purchase_days = models.PositiveIntegerField(help_text="Days with a purchase (x + 1).")
    first_purchase_on = models.DateField()
    last_purchase_on = models.DateField()
    recency_score = models.PositiveSmallIntegerField()
    frequency_score = models.PositiveSmallIntegerField()
    monetary_score = models.PositiveSmallIntegerField()
    rfm_cell = models.CharField("RFM cell", max_length=3)
    tier = models.CharField(max_length=1, choices=Tier.choices)
    value_rank = models.PositiveSmallIntegerField(
        default=0, help_text="Decile of projected two-year value (or revenue): 10 is the top."
    )

    class Meta:
        indexes = [
            models.Index(fields=["tier", "clv_2y"], name="value_tier_clv"),
            models.Index(fields=["clv_2y"], name="value_clv_2y"),
            models.Index(fields=["recency_score", "frequency_score"], name="value_rf"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: tier {self.tier}"


class AliveHistory(models.Model):
    """P(alive) of a customer in a month (the first of the month), from the month's last
    refresh: enough to say "P(alive) has fallen since last month"."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()
    p_alive = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="unique_alive_month")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}: {self.p_alive:.2f}"


class RiskMark(models.Model):
    """The at-risk agenda item of a customer, acted on: hidden until a day (value/risk.py).

    Done (a touch was logged), snoozed and dismissed all hide the item until `hidden_until`;
    the score itself is RiskScore's, rewritten by each refresh."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    hidden_until = models.DateField()
    action = models.CharField(max_length=10)  # done, snooze, dismiss
    acted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.action} until {self.hidden_until}"


class RiskScore(models.Model):
    """A customer at risk as of the last risk refresh (value.risk.refresh_risk, run by the
    nightly job after the value refresh, or `lifelong value risk`): only customers some
    signal flags have a row. The agenda, the at-risk page and the API read these rows
    instead of scoring everybody on each call, so they are at most a day old, like the
    value snapshots.

    agenda_rank is the agenda's ranking (value decile + 0.999 x score), empty when the
    score was below LIFELONG_RISK["agenda_min_score"] at the refresh."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    score = models.FloatField(help_text="0 to 1: the signals' weights combined (noisy-or).")
    value = models.FloatField(help_text="Projected two-year value, or revenue without a model.")
    value_at_stake = models.FloatField()
    value_rank = models.PositiveSmallIntegerField(default=0)
    agenda_rank = models.FloatField(null=True)
    signals = models.JSONField(default=list, help_text="Signal keys, heaviest first.")
    reasons = models.JSONField(default=list, help_text="One sentence per signal, same order.")
    action = models.TextField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["-value_at_stake"], name="risk_stake"),
            models.Index(fields=["-agenda_rank", "-value_at_stake"], name="risk_agenda"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score:.2f}"
