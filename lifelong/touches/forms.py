"""The touch form: quick to fill in, with the time defaulting to now."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from lifelong.touches.models import Channel, Touch

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class TouchForm(forms.ModelForm):
    class Meta:
        model = Touch
        fields = ["channel", "direction", "occurred_at", "summary", "outcome"]
        labels = {"occurred_at": "When", "summary": "What happened", "outcome": "Outcome"}
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_LOCAL
            ),
            "summary": forms.TextInput(attrs={"placeholder": "Called about the spring order"}),
            "outcome": forms.Textarea(
                attrs={"rows": 2, "placeholder": "Optional: what was agreed, what comes next"}
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Every touch has a channel: offer the common one rather than a blank line.
        self.fields["channel"].choices = Channel.choices
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("channel", Channel.CALL)
            # In the business's time zone (the middleware activates it), to the minute.
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("occurred_at", now)
