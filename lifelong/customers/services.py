"""Write actions and queries for customers, their profile sheet and relatives.

Views, the API, the CLI and importers all call these, so every rule
(normalisation, validation, the search index, consent bookkeeping) lives once.
"""

from __future__ import annotations

import decimal
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from lifelong.accounts.models import User
from lifelong.customers import cadence
from lifelong.customers.models import (
    AnswerKind,
    Customer,
    CustomerEmail,
    CustomerPhone,
    ProfileAnswer,
    ProfileQuestion,
    Relative,
    SearchTerm,
    Section,
    Tag,
)
from lifelong.customers.partial_dates import PartialDate

# ---------------------------------------------------------------- normalisation


def normalise_email(raw: str) -> str:
    """A valid address, lower-cased; ValidationError otherwise."""
    address = raw.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(f"{raw.strip()!r} is not a valid email address") from None
    return address


def normalise_phone(raw: str, region: str | None = None) -> str:
    """The number in E.164 (+46701234567); national numbers are read in `region`."""
    try:
        number = phonenumbers.parse(raw, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{raw.strip()!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{raw.strip()!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(text: str) -> str:
    """Lower-case without accents, for search: 'Åsa Ström' -> 'asa strom'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_tag(raw: str) -> str:
    return " ".join(raw.strip().lower().split())[:50]


# ---------------------------------------------------------------- search index


def search_terms(customer: Customer, emails: Iterable[str], phones: Iterable[str]) -> set[str]:
    words = f"{customer.first_name} {customer.last_name} {customer.nickname} {customer.company}"
    terms = {w for w in fold(words).split() if w}
    for address in emails:
        terms.add(address.lower())
    for number in phones:
        digits = number.lstrip("+")
        terms.add(digits)
        try:  # the national form too, so "0701…" finds "+46701…"
            national = phonenumbers.parse(number).national_number
            terms.add(str(national))
        except phonenumbers.NumberParseException:
            pass
    return {t[:254] for t in terms}


def reindex(customer: Customer) -> None:
    emails = customer.emails.values_list("address", flat=True)
    phones = customer.phones.values_list("number", flat=True)
    SearchTerm.objects.filter(customer=customer).delete()
    SearchTerm.objects.bulk_create(
        SearchTerm(customer=customer, term=t)
        for t in sorted(search_terms(customer, emails, phones))
    )


# ---------------------------------------------------------------- customers


@dataclass
class ContactPoint:
    value: str
    label: str = ""


def _clean_contact_points(
    raw: Sequence[ContactPoint | str], normalise, default_label: str, name: str
) -> list[ContactPoint]:
    points, errors, seen = [], [], set()
    for item in raw:
        point = item if isinstance(item, ContactPoint) else ContactPoint(str(item))
        if not point.value.strip():
            continue
        try:
            value = normalise(point.value)
        except ValidationError as e:
            errors.extend(e.messages)
            continue
        if value not in seen:
            seen.add(value)
            points.append(ContactPoint(value, point.label or default_label))
    if errors:
        raise ValidationError({name: errors})
    return points


@transaction.atomic
def save_customer(
    customer: Customer,
    *,
    emails: Sequence[ContactPoint | str] | None = None,
    phones: Sequence[ContactPoint | str] | None = None,
    tags: Iterable[str] | None = None,
    consent_how: str = "form",
    consent_by: User | None = None,
) -> Customer:
    """Validate and save `customer` with its emails, phones and tags (None leaves them as they are).

    A change of marketing consent is added to the customer's consent history as made
    `consent_how` ("form", "api", "import", …: privacy.models.How) by `consent_by`.
    Raises ValidationError keyed by field name; nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    clean_emails = clean_phones = None
    try:
        if emails is not None:
            clean_emails = _clean_contact_points(emails, normalise_email, "home", "emails")
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        if phones is not None:
            clean_phones = _clean_contact_points(phones, normalise_phone, "mobile", "phones")
    except ValidationError as e:
        errors.update(e.message_dict)

    customer.external_id = (customer.external_id or "").strip() or None
    customer.first_name, customer.last_name = (
        customer.first_name.strip(),
        customer.last_name.strip(),
    )
    customer.company = customer.company.strip()
    try:
        customer.full_clean(exclude=["tags"])
    except ValidationError as e:
        for key, messages in e.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    # An erased customer (privacy/erasure.py) has no name on purpose, and may still be
    # saved by the code that keeps its figures (a referral that converts).
    if not (customer.first_name or customer.last_name or customer.company) and (
        customer.erased_at is None
    ):
        errors.setdefault("__all__", []).append("Give a first name, a last name or a company.")
    if customer.referred_by_id and customer.referred_by_id == customer.pk:
        errors.setdefault("referred_by", []).append("A customer cannot refer themselves.")
    if errors:
        raise ValidationError(errors)

    consent_changed = _track_consent(customer)
    customer.sort_name = customer.compute_sort_name()
    customer.updated_at = timezone.now()
    customer.save()
    if consent_changed:
        # Imported here: privacy builds on customers, not the other way round.
        from lifelong.privacy.consent import record_consent_change

        record_consent_change(
            customer.pk,
            customer.email_consent,
            how=consent_how,
            actor=consent_by,
            source=customer.email_consent_source,
            at=customer.email_consent_at,
        )

    if clean_emails is not None:
        customer.emails.all().delete()
        CustomerEmail.objects.bulk_create(
            CustomerEmail(customer=customer, address=p.value, label=p.label, position=i)
            for i, p in enumerate(clean_emails)
        )
    if clean_phones is not None:
        customer.phones.all().delete()
        CustomerPhone.objects.bulk_create(
            CustomerPhone(customer=customer, number=p.value, label=p.label, position=i)
            for i, p in enumerate(clean_phones)
        )
    if tags is not None:
        set_tags(customer, tags)
    reindex(customer)
    cadence.refresh_due(customer)
    return customer


def _track_consent(customer: Customer) -> bool:
    """Stamp when marketing consent changed; a new record keeps a date the caller knows.
    Whether it changed (a new customer who consents counts)."""
    previous = None
    if customer.pk:
        stored = Customer.objects.filter(pk=customer.pk).values_list("email_consent", flat=True)
        previous = stored.first()
    if previous is None:
        if customer.email_consent and customer.email_consent_at is None:
            customer.email_consent_at = timezone.now()
        return customer.email_consent
    if previous != customer.email_consent:
        customer.email_consent_at = timezone.now()
        return True
    return False


def set_tags(customer: Customer, names: Iterable[str]) -> None:
    wanted = {normalise_tag(n) for n in names if normalise_tag(n)}
    tags = []
    for name in sorted(wanted):
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    customer.tags.set(tags)


def archive_customer(customer: Customer) -> None:
    if customer.archived_at is None:
        customer.archived_at = timezone.now()
        customer.save(update_fields=["archived_at"])
        cadence.refresh_due(customer)


def restore_customer(customer: Customer) -> None:
    if customer.archived_at is not None:
        customer.archived_at = None
        customer.save(update_fields=["archived_at"])
        cadence.refresh_due(customer)


# ---------------------------------------------------------------- profile sheet


def parse_answer(question: ProfileQuestion, raw: str) -> str:
    """The canonical text of an answer to `question`; ValidationError if it does not fit."""
    text = raw.strip()
    if question.kind == AnswerKind.DATE:
        try:
            return PartialDate.parse(text).isoformat()
        except ValueError as e:
            raise ValidationError(str(e)) from None
    if question.kind == AnswerKind.NUMBER:
        try:
            number = decimal.Decimal(text.replace(",", "."))
        except decimal.InvalidOperation:
            raise ValidationError(f"{text!r} is not a number") from None
        if not number.is_finite():
            raise ValidationError(f"{text!r} is not a number")
        return str(number.normalize()) if number == number.to_integral() else str(number)
    if question.kind == AnswerKind.CHOICE:
        if text not in question.choices:
            raise ValidationError(f"Choose one of: {', '.join(question.choices)}")
        return text
    if len(text) > 5000:
        raise ValidationError("Keep the answer under 5,000 characters.")
    return text


def set_answer(
    customer: Customer, question: ProfileQuestion, raw: str, *, by: User | None
) -> ProfileAnswer | None:
    """Record an answer; a blank answer removes it (and returns None)."""
    if not raw.strip():
        ProfileAnswer.objects.filter(customer=customer, question=question).delete()
        return None
    value = parse_answer(question, raw)
    answer, _ = ProfileAnswer.objects.update_or_create(
        customer=customer,
        question=question,
        defaults={"value": value, "updated_at": timezone.now(), "updated_by": by},
    )
    return answer


def display_answer(question: ProfileQuestion, value: str) -> str:
    if question.kind == AnswerKind.DATE:
        return str(PartialDate.parse(value))
    return value


@dataclass
class SheetRow:
    question: ProfileQuestion
    answer: ProfileAnswer | None

    @property
    def display(self) -> str:
        return display_answer(self.question, self.answer.value) if self.answer else ""


@dataclass
class SheetSection:
    key: str
    label: str
    rows: list[SheetRow] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.answer)


@dataclass
class ProfileSheet:
    sections: list[SheetSection]

    @property
    def total(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def completeness(self) -> int:
        """Percent of the visible questions answered, rounded down."""
        return 100 * self.answered // self.total if self.total else 0

    @property
    def unknown(self) -> list[ProfileQuestion]:
        """What we don't know yet: the unanswered visible questions, in sheet order."""
        return [r.question for s in self.sections for r in s.rows if not r.answer]


def profile_sheet(customer: Customer) -> ProfileSheet:
    answers = {a.question_id: a for a in customer.answers.all()}
    by_section = {key: SheetSection(key, label) for key, label in Section.choices}
    for q in ProfileQuestion.objects.filter(hidden=False):
        by_section[q.section].rows.append(SheetRow(q, answers.get(q.id)))
    return ProfileSheet([s for s in by_section.values() if s.rows])


@transaction.atomic
def move_question(question: ProfileQuestion, offset: int) -> None:
    """Move a question up (-1) or down (+1) within its section."""
    siblings = list(ProfileQuestion.objects.filter(section=question.section))
    i = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
    j = max(0, min(len(siblings) - 1, i + offset))
    siblings.insert(j, siblings.pop(i))
    base = min(q.position for q in siblings)
    for n, q in enumerate(siblings):
        if q.position != base + n:
            q.position = base + n
            q.save(update_fields=["position"])


@transaction.atomic
def add_question(
    *, section: str, text: str, kind: str, choices: Sequence[str] = (), help_text: str = ""
) -> ProfileQuestion:
    """Add a custom question at the end of its section; ValidationError keyed by field."""
    text = " ".join(text.split())
    options = [c.strip() for c in choices if c.strip()]
    options = list(dict.fromkeys(options))  # drop repeats, keep the order given
    errors: dict[str, list[str]] = {}
    if kind == AnswerKind.CHOICE and len(options) < 2:
        errors["choices"] = ["Give at least two choices, one a line."]
    base = slugify(text)[:50] or "question"
    key, n = base, 1
    while ProfileQuestion.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    last = ProfileQuestion.objects.filter(section=section).order_by("-position").first()
    question = ProfileQuestion(
        section=section,
        key=key,
        text=text,
        help_text=help_text.strip(),
        kind=kind,
        choices=options if kind == AnswerKind.CHOICE else [],
        position=(last.position + 1) if last else 0,
    )
    try:
        question.full_clean()
    except ValidationError as e:
        for field_name, messages in e.message_dict.items():
            errors.setdefault(field_name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    question.save()
    return question


def set_question_hidden(question: ProfileQuestion, hidden: bool) -> None:
    """Hide a question from every profile sheet (its answers are kept) or show it again."""
    if question.hidden != hidden:
        question.hidden = hidden
        question.save(update_fields=["hidden"])


# ---------------------------------------------------------------- relatives


def save_relative(relative: Relative) -> Relative:
    relative.name = relative.name.strip()
    relative.full_clean()
    relative.save()
    return relative
