"""The segment editor's form: a name and one widget per filter, turned into a FilterSpec."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from lifelong.accounts.models import User
from lifelong.commerce.models import Product, ProductVersion
from lifelong.customers.models import Status, Tag
from lifelong.segments.filters import FilterSpec, parse_filters

TIER_CHOICES = [("A", "A"), ("B", "B"), ("C", "C"), ("none", "No tier yet")]
CONSENT_CHOICES = [("", "Either"), ("yes", "Gave consent"), ("no", "No consent")]
# The form fields that hold a filter, by the filter's name; the rest is "name".
FILTER_FIELDS = (
    "status",
    "tier",
    "tags",
    "owner",
    "products",
    "versions",
    "last_purchase_after",
    "last_purchase_before",
    "not_touched_for_days",
    "never_touched",
    "birthday_this_month",
    "consent",
    "include_archived",
)


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    status = forms.MultipleChoiceField(
        choices=Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tier = forms.MultipleChoiceField(
        choices=TIER_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The value tier; customers without purchases have none yet.",
    )  # fmt: skip
    tags = forms.MultipleChoiceField(required=False, help_text="Any of these tags.")
    owner = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Owner", help_text="Any of these contact persons."
    )
    products = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Owns a product", help_text="Bought any version."
    )
    versions = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Owns a version", help_text="Bought this version."
    )
    last_purchase_after = forms.DateField(
        required=False, label="Last purchase on or after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    last_purchase_before = forms.DateField(
        required=False, label="Last purchase before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    not_touched_for_days = forms.IntegerField(
        required=False, label="No touch for at least (days)",
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650}),
        help_text="Customers never touched count too.",
    )  # fmt: skip
    never_touched = forms.BooleanField(required=False, label="Never touched")
    birthday_this_month = forms.BooleanField(required=False, label="Birthday this month")
    consent = forms.ChoiceField(choices=CONSENT_CHOICES, required=False, label="Marketing consent")
    include_archived = forms.BooleanField(required=False, label="Include archived customers")

    def __init__(self, *args: Any, require_name: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.require_name = require_name
        self.fields["name"].required = require_name
        self.fields["tags"].choices = [(n, n) for n in Tag.objects.values_list("name", flat=True)]
        self.fields["owner"].choices = [
            (u.pk, u.display_name) for u in User.objects.filter(is_active=True)
        ]
        self.fields["products"].choices = [
            (p.pk, p.name) for p in Product.objects.only("pk", "name")
        ]
        self.fields["versions"].choices = [
            (v.pk, str(v)) for v in ProductVersion.objects.select_related("product")
        ]
        for name in ("tags", "owner", "products", "versions"):
            size = min(max(len(self.fields[name].choices), 2), 6)
            self.fields[name].widget.attrs["size"] = size

    @classmethod
    def initial_from(cls, name: str, spec: FilterSpec) -> dict[str, Any]:
        data = spec.model_dump()
        data["status"] = [str(s) for s in spec.status]
        data["consent"] = spec.consent or ""
        return {"name": name, **data}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Only the filters that are set; 0 is set (and wrong), False and empty are not.
        data = {
            name: value
            for name in FILTER_FIELDS
            if (value := cleaned.get(name)) is not None
            and value is not False
            and value != ""
            and value != []
        }
        try:
            self.spec = parse_filters(data)
        except ValidationError as e:
            for field, messages in e.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned
