"""Forms of the promise ledger. They parse; the rules live in services, whose
ValidationError names the field at fault (add_service_errors puts it there)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from lifelong.accounts.models import User
from lifelong.promises.models import Status
from lifelong.touches.models import Channel

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class ServiceErrors:
    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)  # type: ignore[attr-defined]
        else:
            self.add_error(None, error.messages)  # type: ignore[attr-defined]


class WhenFields(forms.Form):
    due_on = forms.DateField(
        label="Due by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A day; or give a window below instead.",
    )
    window_start = _datetime_field("Or within a window: from")
    window_end = _datetime_field("until")


class PromiseForm(ServiceErrors, WhenFields):
    what = forms.CharField(
        label="What was promised",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Call back with the quote"}),
    )
    field_order = ["what", "due_on", "window_start", "window_end", "owner", "notify_customer"]
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Who keeps it")
    notify_customer = forms.BooleanField(
        label="Email the customer when it is made and when it is kept", required=False
    )
    touch = forms.IntegerField(required=False, widget=forms.HiddenInput)
    purchase = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, owners, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: u.display_name


class KeepForm(ServiceErrors, forms.Form):
    channel = forms.ChoiceField(
        label="How did they hear?",
        required=False,
        choices=[("", "Not told yet"), *Channel.choices],
        help_text="Choose how they heard to log a touch; keeping it is a touch only once "
        "it reached them.",
    )
    kept_at = _datetime_field("When (empty: now)")
    note = forms.CharField(label="Note", max_length=500, required=False)


class BreakForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label="Why was it not kept?", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class RenegotiateForm(ServiceErrors, WhenFields):
    what = forms.CharField(
        label="What (leave as it is, or change it)", max_length=500, required=False
    )


WHOSE = [("mine", "Mine"), ("all", "Everybody's")]
STATUS_FILTERS = [
    ("open", "Open"),
    ("overdue", "Overdue"),
    *[(s.value, s.label) for s in Status if s != Status.OPEN],
    ("any", "Any status"),
]


class FilterForm(forms.Form):
    whose = forms.ChoiceField(choices=WHOSE, required=False)
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "mine", "open"
        return (
            self.cleaned_data.get("whose") or "mine",
            self.cleaned_data.get("status") or "open",
        )
