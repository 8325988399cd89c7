"""Planned communications: templates, programs and the outbox.

A Program sends a Template to a segment (or greets customers on an occasion). Each
send is one Message row under the unique key (program, customer, occurrence), created
before anything is sent: the outbox. Workers claim due messages, send them over SMTP and
log each sent one as an email touch. A Suppression row stops every later send to an
address, whatever the program.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer


class Purpose(models.TextChoices):
    MARKETING = "marketing", "Marketing (needs consent)"
    RELATIONSHIP = "relationship", "Relationship greeting"


class Template(models.Model):
    """A message in three parts, personalised with Django template syntax over a fixed
    context of plain values (outreach/rendering.py): {{ first_name|default:"friend" }}."""

    name = models.CharField(max_length=200)
    key = models.SlugField(
        max_length=60, unique=True, null=True, blank=True,
        help_text="Set on the starter templates so they can be found and restored.",
    )  # fmt: skip
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.MARKETING)
    subject = models.CharField(max_length=300)
    body_text = models.TextField("plain-text body")
    body_html = models.TextField("HTML body", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ProgramKind(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    RECURRING = "recurring", "Recurring"
    GREETING = "greeting", "Occasion greeting"


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"
    RRULE = "rrule", "Custom (RFC 5545 RRULE)"


class Approval(models.TextChoices):
    AUTOMATIC = "automatic", "Send automatically"
    DRAFTS = "drafts", "Create drafts for review"


class Program(models.Model):
    """A planned communication: to a segment once or on a schedule, or a greeting sent
    `days_before` each occurrence of an occasion kind."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ProgramKind.choices)
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.MARKETING)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="programs")
    segment = models.ForeignKey(
        "segments.Segment", null=True, blank=True, on_delete=models.PROTECT,
        related_name="programs", help_text="Whom it goes to; greetings may leave it empty.",
    )  # fmt: skip
    starts_at = models.DateTimeField(default=timezone.now)
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, blank=True)
    rrule = models.CharField("RRULE", max_length=300, blank=True)
    occasion_kind = models.CharField(max_length=30, blank=True)
    days_before = models.PositiveSmallIntegerField(default=0)
    approval = models.CharField(max_length=10, choices=Approval.choices, default=Approval.AUTOMATIC)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Empty: each customer's own contact person.",
    )  # fmt: skip
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.PROTECT,
        related_name="programs", help_text="Each message carries the customer's own link to it.",
    )  # fmt: skip
    active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def occasion_label(self) -> str:
        """ "birthday", "relative's birthday": what a greeting greets, in words."""
        from lifelong.occasions.models import Kind

        try:
            return Kind(self.occasion_kind).label.lower()
        except ValueError:
            return "occasion"


class MessageStatus(models.TextChoices):
    DRAFT = "draft", "Draft, waiting for review"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Message(models.Model):
    """One message of a program to a customer for one occurrence (a run date, or an
    occasion's date). The unique key is what makes sending exactly-once."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    occurrence = models.CharField(max_length=60)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_address = models.EmailField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # An iCalendar invitation (events app): sent as a text/calendar; method=REQUEST part.
    calendar = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, unique=True)
    send_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    touch = models.ForeignKey(
        "touches.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once the email touch of a sent message is written (touch may later be deleted by
    # a person, so touch=None alone does not say "still to log"): a worker that crashed
    # between sending and logging leaves sent rows with False, and the next pass logs them.
    touch_logged = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "customer", "occurrence"], name="unique_message_occurrence"
            )
        ]
        indexes = [
            # The worker's claim: the oldest due queued messages.
            models.Index(fields=["status", "send_after", "id"], name="message_due"),
            models.Index(fields=["customer", "created_at"], name="message_customer"),
            # The outbox page: newest first, optionally of one status.
            models.Index(fields=["status", "id"], name="message_status_id"),
            # Sent messages whose touch is still to be logged (a handful at most).
            models.Index(
                fields=["id"],
                condition=models.Q(status="sent", touch_logged=False),
                name="message_touch_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Hard bounce"
    MANUAL = "manual", "Added by hand"
    ERASED = "erased", "Erased on request"


class Suppression(models.Model):
    """An address nobody may email again. The SHA-256 of the normalised address is the
    key, so an erased customer's address can be kept as a hash only."""

    address_hash = models.CharField(max_length=64, unique=True)
    address = models.EmailField(max_length=254, blank=True, help_text="Empty once erased.")
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.address or f"(erased) {self.address_hash[:12]}"


class JobRun(models.Model):
    """One run of a once-a-day job (the nightly value refresh), claimed by its unique key
    so that several workers run it once."""

    job = models.CharField(max_length=40)
    day = models.DateField(help_text="The business's local date it ran for.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="unique_job_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.day}"
