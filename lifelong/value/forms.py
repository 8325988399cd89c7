"""The holdout page's form: where the calibration ends, how long the holdout runs."""

from __future__ import annotations

import datetime as dt

from django import forms

from lifelong.value.fitting import MODEL_LABELS, PURCHASE_MODELS

DEFAULT_HOLDOUT_WEEKS = 26


class HoldoutForm(forms.Form):
    until = forms.DateField(
        label="Calibration ends",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    horizon = forms.IntegerField(
        label="Holdout (weeks)", min_value=1, max_value=520, initial=DEFAULT_HOLDOUT_WEEKS
    )
    model = forms.ChoiceField(
        label="Model", choices=[(k, MODEL_LABELS[k]) for k in PURCHASE_MODELS], initial="bgnbd"
    )

    def __init__(self, data: dict | None, *, today: dt.date) -> None:
        # Without a query, the default: the last 26 weeks are the holdout.
        if not data:
            weeks = DEFAULT_HOLDOUT_WEEKS
            data = {
                "until": (today - dt.timedelta(weeks=weeks)).isoformat(),
                "horizon": weeks,
                "model": "bgnbd",
            }
        super().__init__(data)
        self.today = today

    def clean(self) -> dict:
        data = super().clean()
        until, horizon = data.get("until"), data.get("horizon")
        if until and until >= self.today:
            self.add_error("until", "The calibration must end before today.")
        elif until and horizon and until + dt.timedelta(weeks=horizon) > self.today:
            self.add_error(
                "horizon",
                f"The holdout would run past today; at most "
                f"{(self.today - until).days // 7} weeks from this calibration end.",
            )
        return data
