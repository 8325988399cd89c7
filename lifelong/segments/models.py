"""Saved customer filters. segments/filters.py turns a Segment's filters into a query."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Segment(models.Model):
    name = models.CharField(max_length=200)
    filters = models.JSONField(default=dict, help_text="Validated by segments.filters.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
