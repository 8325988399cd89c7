from __future__ import annotations

from django import forms

from lifelong.extras.models import Extra, ExtraRule
from lifelong.value.records import Tier


class GiveForm(forms.Form):
    extra = forms.ModelChoiceField(queryset=Extra.objects.filter(active=True))
    note = forms.CharField(max_length=500, required=False)


class ExtraForm(forms.ModelForm):
    class Meta:
        model = Extra
        fields = ["name", "cost", "active"]


class RuleForm(forms.ModelForm):
    tier_in = forms.MultipleChoiceField(
        choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="In tier",
    )  # fmt: skip

    class Meta:
        model = ExtraRule
        fields = ["name", "min_purchases", "tier_in", "order_multiple", "extra", "active"]
