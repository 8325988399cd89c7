"""One import of a customer file: who, when, what came of it, and what undo needs."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

UNDO_WINDOW = dt.timedelta(hours=24)


class ImportBatch(models.Model):
    """A customer import that wrote something (dry runs leave no batch).

    `created` holds the ids of the customers it created as [first, last] ranges (bulk
    inserts make them dense, so a million customers take a few ranges). `updated` holds,
    for every customer it updated, what it changed: [{"id", "fields": {name: [before,
    after]}, "emails": [added], "phones": [added], "tags": [added], "answers": {key:
    [before, after]}}], so that undo can put back what nobody has changed since.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=20, blank=True)
    on_duplicate = models.CharField(max_length=10)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    created = models.JSONField(default=list, blank=True)
    updated = models.JSONField(default=list, blank=True)
    rejections = models.JSONField(
        default=list, blank=True, help_text="The first 1,000 rejected rows as [line, reason]."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import of {self.file_name or 'a file'} ({self.created_count} created)"

    def created_ids(self) -> list[int]:
        return [pk for first, last in self.created for pk in range(first, last + 1)]

    def add_created(self, ids: list[int]) -> None:
        """Note customers created, as ranges of consecutive ids."""
        for pk in sorted(ids):
            if self.created and self.created[-1][1] == pk - 1:
                self.created[-1][1] = pk
            else:
                self.created.append([pk, pk])

    def undo_deadline(self) -> dt.datetime:
        return self.created_at + UNDO_WINDOW

    def can_undo(self, now: dt.datetime | None = None) -> bool:
        """True within 24 hours of the import, if it has not been undone yet."""
        return self.undone_at is None and (now or timezone.now()) < self.undo_deadline()
