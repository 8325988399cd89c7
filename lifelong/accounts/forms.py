"""Forms of the account pages: business settings, users, API tokens, one's own profile."""

from __future__ import annotations

import zoneinfo

from django import forms

from lifelong.accounts.models import Business, Role, User


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class BusinessForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        help_text="Dates and times are shown, and reminders fall due, in this zone.",
    )

    class Meta:
        model = Business
        fields = ["name", "sender_name", "sender_email", "postal_address", "time_zone", "currency"]
        labels = {
            "name": "Business name",
            "sender_name": "Sender display name",
            "sender_email": "Sender email address",
        }
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}


class NewUserForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REP)
    password = forms.CharField(
        label="Initial password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; they can change it later.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What will use it, such as: accounting sync, Zapier.",
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "signature"]
        widgets = {"signature": forms.Textarea(attrs={"rows": 4})}
