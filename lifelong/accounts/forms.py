"""Forms of the account pages: business settings, users, API tokens, one's own profile."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from lifelong.accounts import throttle
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


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing attempts while lifelong.accounts.throttle says so.

    `refusal` is set when the form was refused, so the view can answer 429."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Please try again.",
    }

    def __init__(self, request: HttpRequest | None = None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.refusal: throttle.Refusal | None = None
        self.client_ip = throttle.client_ip(request) if request is not None else "unknown"

    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a missing field: nothing was tried
        known = throttle.account_key(username) in throttle.known_accounts(self.request)
        self._refuse_if_throttled(username, known)
        try:
            return super().clean()
        except ValidationError as error:
            if error.code != "invalid_login":
                raise
            throttle.record_failure(username, self.client_ip)
            # The failure that reaches a limit says so at once, rather than on the next try.
            self._refuse_if_throttled(username, known)
            raise

    def _refuse_if_throttled(self, username: str, known_device: bool) -> None:
        self.refusal = throttle.check(username, self.client_ip, known_device=known_device)
        if self.refusal is not None:
            raise ValidationError(self.refusal.message(), code="throttled")
