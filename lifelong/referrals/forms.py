"""Forms of the Referrals panel; the rules are in services, which name the field at fault."""

from django import forms

from lifelong.referrals.models import Answer, ReferralStatus
from lifelong.touches.models import Channel


class ReferralForm(forms.Form):
    """Either an existing customer (by id) or a new prospect by name and email."""

    referred = forms.IntegerField(
        required=False,
        label="An existing customer (id)",
        help_text="The number after /customers/ in their address.",
    )
    first_name = forms.CharField(
        max_length=100, required=False, label="Or a new prospect: first name"
    )
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.CharField(max_length=254, required=False)
    referred_on = forms.DateField(
        required=False, label="Referred on", help_text="YYYY-MM-DD; today if empty"
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict:
        data = super().clean()
        has_existing = data.get("referred") is not None
        has_new = bool(
            (data.get("first_name") or "").strip() or (data.get("last_name") or "").strip()
        )
        if has_existing == has_new:
            raise forms.ValidationError(
                "Give either an existing customer's id or a new prospect's name."
            )
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ReferralStatus.choices)


class AskForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.CALL)
    answer = forms.ChoiceField(choices=Answer.choices, initial=Answer.NO_ANSWER)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
