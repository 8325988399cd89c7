"""Surveys answered by tokenised link: the survey, one invitation per customer and
occurrence, and at most one response per invitation.

Other apps read Response: referrals asks promoters (score >= 9, by submitted_at), and the
at-risk signal reads low scores (services.low_score_q()). Every Response repeats its
customer, so the customer-owned tables all carry customer_id.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer

INVITATION_DAYS = 30
NPS_QUESTION = "How likely are you to recommend {{ business_name }} to a friend or colleague?"
SATISFACTION_QUESTION = "How satisfied are you with {{ business_name }}?"


class Kind(models.TextChoices):
    NPS = "nps", "Net Promoter Score (0-10)"
    SATISFACTION = "satisfaction", "Satisfaction (1-5)"


class FollowUpKind(models.TextChoices):
    TEXT = "text", "Free text"
    CHOICE = "choice", "One of a few choices"
    SCALE = "1-5", "A rating from 1 to 5"


class Survey(models.Model):
    """One question scored 0-10 (NPS) or 1-5 (satisfaction), a few optional follow-up
    questions, and a comment box. `question` may use {{ business_name }} and
    {{ first_name }}. follow_ups: [{"text": …, "kind": "text" | "choice" | "1-5",
    "choices": […] (for "choice")}]."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NPS)
    question = models.CharField(max_length=300, default=NPS_QUESTION)
    follow_ups = models.JSONField(default=list, blank=True)
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open until you close it."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> range:
        return range(0, 11) if self.kind == Kind.NPS else range(1, 6)

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        return self.closes_at is not None and self.closes_at <= (now or timezone.now())


def new_token() -> str:
    return secrets.token_urlsafe(24)


def default_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=INVITATION_DAYS)


class Invitation(models.Model):
    """A customer's link to a survey: one per (survey, customer, occurrence). A program
    run's occurrence is its outbox key; a link made by hand or by the API is "link:…".
    The token is the only way in: look an invitation up by token alone."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="survey_invitations", db_index=False
    )
    occurrence = models.CharField(max_length=60)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_expiry)
    message = models.ForeignKey(
        "outreach.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "customer", "occurrence"], name="unique_survey_invitation"
            )
        ]
        indexes = [models.Index(fields=["customer", "created_at"], name="invitation_customer")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer_id} ({self.occurrence})"

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """Whether the customer may still answer (or change their answer)."""
        return not self.is_expired(now) and not self.survey.is_closed(now)


class Response(models.Model):
    """A customer's answer to one invitation; editable while the invitation is open.
    `score` is 0-10 for NPS (9-10 promoter, 7-8 passive, 0-6 detractor), 1-5 for
    satisfaction. `touch` is the inbound touch it was logged as (updated on edit)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        db_index=False,
    )
    score = models.PositiveSmallIntegerField()
    answers = models.JSONField(
        default=list, blank=True, help_text='[{"question": …, "answer": …}] for the follow-ups.'
    )
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    touch = models.ForeignKey(
        "touches.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The recovery item on the owner's agenda for a low score (agenda_sources.py).
    followed_up_at = models.DateTimeField(null=True, blank=True)
    recovery_snoozed_until = models.DateField(null=True, blank=True)
    recovery_dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "submitted_at"], name="response_customer"),
            models.Index(fields=["score", "submitted_at"], name="response_score"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"

    @property
    def survey(self) -> Survey:
        return self.invitation.survey

    @property
    def category(self) -> str:
        """promoter / passive / detractor (NPS); satisfied / neutral / dissatisfied."""
        if self.survey.kind == Kind.NPS:
            return nps_category(self.score)
        return satisfaction_category(self.score)


def nps_category(score: int) -> str:
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def satisfaction_category(score: int) -> str:
    if score >= 4:
        return "satisfied"
    if score == 3:
        return "neutral"
    return "dissatisfied"
