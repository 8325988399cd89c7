from __future__ import annotations

from django import forms

from lifelong.accounts.models import User
from lifelong.audit.listing import SYSTEM, AuditFilters
from lifelong.audit.models import Action


class AuditFilterForm(forms.Form):
    """The audit page's filters; filters() gives the valid ones as AuditFilters."""

    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    user = forms.ChoiceField(required=False)
    customer = forms.IntegerField(
        required=False,
        min_value=1,
        label="Customer id",
        widget=forms.NumberInput({"placeholder": "Any customer", "inputmode": "numeric"}),
    )
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        names = User.objects.order_by("username").values_list("username", flat=True)
        self.fields["user"].choices = [
            ("", "Anyone"),
            (SYSTEM, "System (no user)"),
            *((name, name) for name in names),
        ]

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> AuditFilters:
        """The filters from the fields that are valid (an invalid one is left out)."""
        self.is_valid()
        data = self.cleaned_data
        return AuditFilters(
            action=data.get("action") or "",
            user=data.get("user") or "",
            customer_id=data.get("customer"),
            since=data.get("since"),
            until=data.get("until") if "until" not in self.errors else None,
        )
