from django import forms

from lifelong.occasions.models import Kind


class OccasionForm(forms.Form):
    """A date a person adds: checked by services.add_occasion, which names the field at fault."""

    kind = forms.ChoiceField(
        choices=[(Kind.CUSTOM, "Every year"), (Kind.ONE_OFF, "Once")],
        initial=Kind.CUSTOM,
        widget=forms.RadioSelect,
        label="Repeats",
    )
    label = forms.CharField(max_length=200, required=False, label="What")
    date = forms.CharField(
        max_length=10,
        required=False,
        help_text="YYYY-MM-DD, or --MM-DD for a yearly date without its year",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].widget.attrs.update(placeholder="Home-insurance renewal")
        self.fields["date"].widget.attrs.update(placeholder="2026-05-14", inputmode="numeric")
