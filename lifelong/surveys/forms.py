"""The survey editor: name, kind, question, closing date and follow-ups (one a line)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from lifelong.surveys import services
from lifelong.surveys.models import NPS_QUESTION, Survey


class SurveyForm(forms.ModelForm):
    follow_ups_text = forms.CharField(
        label="Follow-up questions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "Optional, at most five, one a line. A plain line asks for text; "
            "“1-5: How quick was our reply?” asks for a rating; "
            "“choice: How did you hear of us? | A friend | The web” offers choices."
        ),
    )

    class Meta:
        model = Survey
        fields = ["name", "kind", "question", "closes_at"]
        widgets = {
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        labels = {"closes_at": "Closes"}
        help_texts = {
            "question": "May use {{ business_name }} and {{ first_name }}.",
            "closes_at": "Empty: open. After it closes, nobody can answer or change an answer.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].initial = NPS_QUESTION
        if self.instance.pk:
            self.initial["follow_ups_text"] = services.follow_ups_as_text(self.instance.follow_ups)

    def clean_follow_ups_text(self) -> list[dict]:
        try:
            return services.parse_follow_ups(self.cleaned_data["follow_ups_text"])
        except ValidationError as e:
            raise ValidationError(e.message_dict["follow_ups"]) from None
