"""The audit trail: one row per time somebody viewed, exported, changed or erased personal
data. A row says who, when, what kind of record and which customer by id; never the data
itself. Rows are only ever added (see docs/audit.md for how that is enforced)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    EXPORT = "export", "Exported"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    ERASE = "erase", "Erased"


class Via(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    CLI = "cli", "Command line"
    WORKER = "worker", "Worker"


class AppendOnlyError(Exception):
    """An audit event was about to be changed or deleted; the trail only grows."""


class AuditEventQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only: events cannot be deleted.")

    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("The audit log is append-only: events cannot be changed.")


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The username at the time, so the trail still says who after the user is deleted.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    # A plain number, not a foreign key: the customer may be erased, the trail stays.
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target = models.CharField(max_length=100, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.WEB)
    ip = models.GenericIPAddressField(null=True, blank=True)

    # The default manager refuses delete() and update(); Django's base manager stays plain,
    # so deleting a user can still null `actor` (the one change the triggers allow).
    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.target}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only: events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only: events cannot be deleted.")
