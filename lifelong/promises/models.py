"""The promise ledger: what was promised to which customer, by when, by whom, and whether
it was kept.

A promise is due on a day (`due_on`, the whole business day counts) or within a window
(`window_start`..`window_end`, aware datetimes). `deadline` is the last moment it is kept
on time, stored so that lists sort on one indexed column. "Overdue" is not a status: it
is derived (an open promise past its deadline, promises/services.py is_overdue), so it
needs no job to flip it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer


class Status(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    KEPT_LATE = "kept_late", "Kept late"
    BROKEN = "broken", "Broken"
    RENEGOTIATED = "renegotiated", "Renegotiated"


KEPT_STATUSES = (Status.KEPT, Status.KEPT_LATE)
# The statuses that count for the kept-rate: a renegotiated promise is not decided, its
# successor is.
DECIDED_STATUSES = (Status.KEPT, Status.KEPT_LATE, Status.BROKEN)


class Source(models.TextChoices):
    CUSTOMER_PAGE = "customer_page", "Customer page"
    TOUCH = "touch", "A touch"
    PURCHASE = "purchase", "A purchase"


class Stage(models.TextChoices):
    """Which agenda reminder a person dismissed: the one before the deadline, or after."""

    NONE = "", "—"
    DUE = "due", "Due soon"
    OVERDUE = "overdue", "Overdue"


class Promise(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="promises", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="promises", help_text="Who is responsible for keeping it.",
        db_index=False,
    )  # fmt: skip
    what = models.CharField(max_length=500)
    due_on = models.DateField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    # The last moment the promise is kept on time: window_end, or the end of due_on in
    # the business's time zone. Set by services.make_promise.
    deadline = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    kept_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    broken_reason = models.TextField(blank=True)
    renegotiated_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renegotiated_from"
    )
    source = models.CharField(max_length=14, choices=Source.choices, default=Source.CUSTOMER_PAGE)
    touch = models.ForeignKey(
        "touches.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purchase = models.ForeignKey(
        "commerce.Purchase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notify_customer = models.BooleanField(
        "email the customer", default=False,
        help_text="Email the customer when the promise is made and when it is kept.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    # The agenda's marks (promises/agenda_sources.py).
    snoozed_until = models.DateField(null=True, blank=True)
    reminder_dismissed = models.CharField(
        max_length=8, choices=Stage.choices, blank=True, default=""
    )
    made_good_at = models.DateTimeField(null=True, blank=True)
    apology_snoozed_until = models.DateField(null=True, blank=True)
    apology_dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [
            # The agenda and the /promises/ list: open promises by deadline.
            models.Index(fields=["status", "deadline", "id"], name="promise_status_deadline"),
            models.Index(fields=["owner", "status", "deadline"], name="promise_owner_status"),
            models.Index(fields=["customer", "status"], name="promise_customer_status"),
            # Kept-rates and referral moments read decided promises by when.
            models.Index(fields=["status", "kept_at"], name="promise_kept_at"),
            models.Index(fields=["status", "broken_at"], name="promise_broken_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="promise_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.what

    @property
    def has_window(self) -> bool:
        return self.window_end is not None

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def is_kept(self) -> bool:
        return self.status in KEPT_STATUSES
