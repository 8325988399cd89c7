"""Forms of the commerce pages. They parse input; the rules live in services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.commerce import services
from lifelong.commerce.models import Channel, Product, ProductVersion


class PurchaseForm(forms.Form):
    """Record a purchase: a day, an amount, and optionally what was bought.

    Its fields are prefixed ("purchase-channel"), as the customer page holds the touch
    form too, which also has a channel.
    """

    prefix = "purchase"

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = forms.CharField(
        max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"})
    )
    currency = forms.CharField(max_length=3, widget=forms.TextInput(attrs={"size": 3}))
    channel = forms.ChoiceField(choices=Channel.choices)
    product_version = forms.TypedChoiceField(
        label="Product", required=False, coerce=int, empty_value=None
    )
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1)

    def __init__(self, *args: Any, business: Business | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business or Business.get()
        groups = services.version_choices()
        self.fields["product_version"].choices = [("", "No product"), *groups]
        self.has_products = bool(groups)
        if not self.is_bound:
            # The business's today: the middleware activates its time zone.
            self.initial.setdefault("date", timezone.localdate())
            self.initial.setdefault("currency", self.business.currency)
            self.initial.setdefault("channel", Channel.OTHER)

    def clean_amount(self) -> Decimal:
        return services.parse_amount(self.cleaned_data["amount"])

    def clean_currency(self) -> str:
        return services.clean_currency(self.cleaned_data["currency"], self.business.currency)

    def clean_product_version(self) -> ProductVersion | None:
        pk = self.cleaned_data.get("product_version")
        if pk is None:
            return None
        version = ProductVersion.objects.select_related("product").filter(pk=pk).first()
        if version is None:
            raise ValidationError("That product version no longer exists.")
        return version

    def lines(self) -> list[services.Line]:
        """The purchase's one line when a product was chosen, for record_purchase."""
        data = self.cleaned_data
        if data["product_version"] is None:
            return []
        return [services.Line(data["amount"], data["quantity"] or 1, data["product_version"])]


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "sku", "category"]
        labels = {"sku": "SKU"}
        help_texts = {"sku": "Optional; unique when given."}
        widgets = {"category": forms.TextInput(attrs={"placeholder": "Hardware, Service, …"})}


class VersionForm(forms.ModelForm):
    """A version's label, release date and the version it supersedes (same product only)."""

    supersedes = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Supersedes"
    )

    class Meta:
        model = ProductVersion
        fields = ["label", "released_on"]
        widgets = {
            "released_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "label": forms.TextInput(attrs={"placeholder": "2025, v2, C400…"}),
        }

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.instance.product = product
        others = product.versions.order_by("-released_on", "-id")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["supersedes"].choices = [
            ("", "Nothing (the first version)"),
            *((v.pk, v.label) for v in others),
        ]
        if not self.is_bound:
            if self.instance.pk:
                self.initial["supersedes"] = self.instance.supersedes_id
            else:
                latest = services.latest_version(product)
                self.initial["supersedes"] = latest.pk if latest else None

    def clean_supersedes(self) -> ProductVersion | None:
        pk = self.cleaned_data.get("supersedes")
        if pk is None:
            return None
        version = self.product.versions.filter(pk=pk).first()
        if version is None:
            raise ValidationError("Choose a version of this product.")
        return version
