"""Forms of the customer pages. They parse input; the rules live in services."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.customers.listing import SORTS, Filters
from lifelong.customers.models import (
    AnswerKind,
    Customer,
    EmailLabel,
    PhoneLabel,
    ProfileQuestion,
    Relative,
    Section,
    Status,
    Tag,
)
from lifelong.customers.services import ContactPoint, normalise_email, normalise_phone

# A referrer is chosen from a menu while the user sees at most this many customers,
# and typed as a customer number beyond that (a menu of a million is no menu).
REFERRER_MENU_LIMIT = 300


class FilterForm(forms.Form):
    """The list's query string: search, filters and sort. Never invalid, only ignored."""

    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    tag = forms.CharField(required=False)
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))
    archived = forms.BooleanField(required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user.sees_all_customers:
            owners = User.objects.filter(is_active=True)
            self.fields["owner"].choices = [("", "Anyone"), *((u.pk, str(u)) for u in owners)]
        else:
            del self.fields["owner"]
        self.tag_names = list(Tag.objects.values_list("name", flat=True)[:500])

    def filters(self) -> Filters:
        self.is_valid()  # a bad value drops out of cleaned_data; the others still apply
        data = self.cleaned_data
        return Filters(
            q=(data.get("q") or "").strip()[:200],
            status=data.get("status") or "",
            owner_id=data.get("owner") or None,
            tag=(data.get("tag") or "").strip(),
            archived=bool(data.get("archived")),
            sort=data.get("sort") or "name",
        )

    @property
    def is_filtered(self) -> bool:
        f = self.filters()
        return bool(f.q or f.status or f.owner_id or f.tag)


class _TelInput(forms.TextInput):
    input_type = "tel"


MAX_CONTACT_ROWS = 20


def _contact_rows(
    prefix: str, count: int, labels: list[tuple[str, str]], widget: type[forms.Widget]
) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for i in range(count):
        fields[f"{prefix}_{i}"] = forms.CharField(
            required=False, max_length=254, label=f"{prefix.title()} {i + 1}", widget=widget()
        )
        fields[f"{prefix}_label_{i}"] = forms.ChoiceField(
            required=False, choices=labels, label="Label"
        )
    return fields


class CustomerForm(forms.ModelForm):
    """A customer with its emails and phones (a few rows each) and comma-separated tags."""

    tags = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Separate tags with commas, such as: vip, newsletter",
    )

    class Meta:
        model = Customer
        fields = [
            "first_name",
            "last_name",
            "nickname",
            "company",
            "job_title",
            "status",
            "owner",
            "became_customer_on",
            "street",
            "postal_code",
            "city",
            "region",
            "country",
            "how_we_met",
            "referred_by",
            "email_consent",
            "email_consent_source",
            "contact_every_days",
            "external_id",
            "notes",
        ]
        widgets = {
            "became_customer_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "how_we_met": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"external_id": "External id", "email_consent": "May receive marketing email"}

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.group_errors: dict[str, list[str]] = {}
        instance: Customer = self.instance

        # Owner: a rep's customers are their own, so they get no choice.
        if user.sees_all_customers:
            owner = self.fields["owner"]
            owner.queryset = User.objects.filter(is_active=True) | User.objects.filter(
                pk=instance.owner_id or 0
            )
            owner.label_from_instance = lambda u: u.display_name
        else:
            del self.fields["owner"]

        self._setup_referrer(instance)

        # Emails and phones: the stored ones plus blank rows, or as many as were posted.
        emails = list(instance.emails.all()) if instance.pk else []
        phones = list(instance.phones.all()) if instance.pk else []
        self.email_count = self._row_count("email", len(emails))
        self.phone_count = self._row_count("phone", len(phones))
        self.fields.update(
            _contact_rows("email", self.email_count, EmailLabel.choices, forms.EmailInput)
        )
        self.fields.update(_contact_rows("phone", self.phone_count, PhoneLabel.choices, _TelInput))
        for i, e in enumerate(emails):
            self.initial[f"email_{i}"], self.initial[f"email_label_{i}"] = e.address, e.label
        for i, p in enumerate(phones):
            self.initial[f"phone_{i}"], self.initial[f"phone_label_{i}"] = p.number, p.label
        if instance.pk and "tags" not in self.initial:
            self.initial["tags"] = ", ".join(t.name for t in instance.tags.all())
        self.fields["first_name"].widget.attrs["autofocus"] = True

    def _row_count(self, prefix: str, stored: int) -> int:
        """Rows to show: as many as were posted (plus a blank one if all are filled)."""
        if self.is_bound:
            pattern = re.compile(rf"^{prefix}_(\d+)$")
            posted = sorted(int(m[1]) for k in self.data if (m := pattern.match(k)))
            count = posted[-1] + 1 if posted else 0
            if not count or (self.data.get(f"{prefix}_{count - 1}") or "").strip():
                count += 1
            return min(count, MAX_CONTACT_ROWS)
        return max(stored + 1, 2)

    def _setup_referrer(self, instance: Customer) -> None:
        visible = customers_visible_to(self.user).filter(archived_at__isnull=True)
        if instance.pk:
            visible = visible.exclude(pk=instance.pk)
        self.referrer_as_menu = visible[: REFERRER_MENU_LIMIT + 1].count() <= REFERRER_MENU_LIMIT
        if self.referrer_as_menu:
            field = self.fields["referred_by"]
            field.queryset = visible | customers_visible_to(self.user).filter(
                pk=instance.referred_by_id or 0
            )
            field.empty_label = "Nobody / not known"
            field.label_from_instance = lambda c: (
                f"{c.display_name} ({c.company})" if c.full_name and c.company else c.display_name
            )
        else:
            self.fields["referred_by"] = forms.CharField(
                required=False,
                label="Referred by",
                help_text="The referrer's customer number, shown on their page as #123.",
            )
            if instance.referred_by_id:
                self.initial["referred_by"] = str(instance.referred_by_id)

    def clean_referred_by(self) -> Customer | None:
        value = self.cleaned_data.get("referred_by")
        if isinstance(value, Customer) or value is None:
            return value
        text = str(value).strip().lstrip("#")
        if not text:
            return None
        if not text.isdigit():
            raise ValidationError("Give a customer number, such as 123.")
        referrer = customers_visible_to(self.user).filter(pk=int(text)).first()
        if referrer is None:
            raise ValidationError(f"There is no customer #{text} that you can see.")
        return referrer

    def clean(self) -> dict:
        # Each address and number is checked here too, so its error shows beside its own row
        # at the same time as the other fields' errors; save_customer checks them again.
        data = super().clean()
        for prefix, normalise in (("email", normalise_email), ("phone", normalise_phone)):
            count = self.email_count if prefix == "email" else self.phone_count
            for i in range(count):
                value = (data.get(f"{prefix}_{i}") or "").strip()
                if value:
                    try:
                        normalise(value)
                    except ValidationError as e:
                        self.add_error(f"{prefix}_{i}", e)
        return data

    def email_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"email_{i}"], self[f"email_label_{i}"]) for i in range(self.email_count)]

    def phone_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"phone_{i}"], self[f"phone_label_{i}"]) for i in range(self.phone_count)]

    def contact_points(self, prefix: str, count: int) -> list[ContactPoint]:
        data = self.cleaned_data
        return [
            ContactPoint(data.get(f"{prefix}_{i}") or "", data.get(f"{prefix}_label_{i}") or "")
            for i in range(count)
        ]

    def emails(self) -> list[ContactPoint]:
        return self.contact_points("email", self.email_count)

    def phones(self) -> list[ContactPoint]:
        return self.contact_points("phone", self.phone_count)

    def tag_names(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a save_customer error beside its field (emails and phones beside their rows)."""
        for key, messages in error.message_dict.items():
            if key in ("emails", "phones"):
                self.group_errors.setdefault(key, []).extend(messages)
                # An empty ErrorList still marks the form invalid for callers that ask.
                self._errors.setdefault(key, self.error_class())
            elif key in self.fields:
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)


class RelativeForm(forms.ModelForm):
    class Meta:
        model = Relative
        fields = ["name", "relationship", "birthday", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"birthday": "YYYY-MM-DD, or --MM-DD when the year is not known"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["birthday"].widget.attrs.update(
            {"placeholder": "1980-04-03 or --04-03", "inputmode": "numeric"}
        )
        birthday = self.instance.birthday if self.instance.pk else None
        if birthday is not None:
            self.initial["birthday"] = birthday.isoformat()


class AnswerForm(forms.Form):
    """One answer of the profile sheet; the widget fits the question's kind."""

    value = forms.CharField(required=False, max_length=5000, label="Answer")

    def __init__(self, *args, question: ProfileQuestion, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["value"]
        field.label = question.text
        attrs = {"data-autofocus": "", "aria-describedby": "answer-help"}
        if question.kind == AnswerKind.DATE:
            field.widget = forms.TextInput(
                attrs={**attrs, "placeholder": "YYYY-MM-DD or --MM-DD", "inputmode": "numeric"}
            )
            field.help_text = "A full date (1980-04-03), or --MM-DD if the year is not known."
        elif question.kind == AnswerKind.NUMBER:
            field.widget = forms.TextInput(attrs={**attrs, "inputmode": "decimal"})
        elif question.kind == AnswerKind.CHOICE:
            options = [("", "Not known"), *((c, c) for c in question.choices)]
            field.widget = forms.Select(choices=options, attrs=attrs)
        else:
            field.widget = forms.Textarea(attrs={**attrs, "rows": 2})
        if question.help_text and not field.help_text:
            field.help_text = question.help_text


class QuestionForm(forms.Form):
    section = forms.ChoiceField(choices=Section.choices)
    text = forms.CharField(max_length=200, label="Question")
    help_text = forms.CharField(max_length=300, required=False, label="Hint (optional)")
    kind = forms.ChoiceField(choices=AnswerKind.choices, label="Answer kind")
    choices = forms.CharField(
        required=False,
        label="Choices",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a choice: one option a line.",
    )

    def choice_list(self) -> list[str]:
        return (self.cleaned_data.get("choices") or "").splitlines()
