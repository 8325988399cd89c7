"""The API's shapes for customers, relatives and the profile sheet (django-ninja schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from lifelong.customers.listing import SORTS
from lifelong.customers.models import (
    AnswerKind,
    Customer,
    EmailLabel,
    PhoneLabel,
    Relationship,
    Relative,
    Section,
    Status,
)
from lifelong.customers.services import ProfileSheet, SheetRow
from lifelong.ids import RowId
from lifelong.moments import UtcDatetime

# ---------------------------------------------------------------- errors


class ErrorOut(Schema):
    detail: str = Field(description="What was wrong, in a sentence.")


class FieldError(Schema):
    field: str | None = Field(
        description="The field at fault (dotted for nested ones, such as emails.0.address); "
        "null when the record as a whole is wrong."
    )
    message: str


class FieldErrorsOut(Schema):
    detail: list[FieldError]


# The error answers every endpoint may give, for the OpenAPI document.
CLIENT_ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: FieldErrorsOut,
}


# ---------------------------------------------------------------- customers


class UserRef(Schema):
    id: int
    username: str


class EmailIn(Schema):
    address: str
    label: EmailLabel | None = Field(None, description="home (the default), work or other")


class PhoneIn(Schema):
    number: str = Field(description="Any common form; stored in E.164 (+46701234567).")
    label: PhoneLabel | None = Field(None, description="mobile (the default), home, work, other")


class EmailOut(Schema):
    address: str
    label: EmailLabel


class PhoneOut(Schema):
    number: str
    label: PhoneLabel


class CustomerOut(Schema):
    id: int
    status: Status
    owner: UserRef
    first_name: str
    last_name: str
    nickname: str
    company: str
    job_title: str
    emails: list[EmailOut]
    phones: list[PhoneOut]
    street: str
    postal_code: str
    city: str
    region: str
    country: str
    how_we_met: str
    referred_by: int | None = Field(description="The id of the customer who referred this one.")
    tags: list[str]
    notes: str
    external_id: str | None
    email_consent: bool
    email_consent_at: dt.datetime | None
    email_consent_source: str
    became_customer_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None
    last_touched_at: dt.datetime | None
    contact_every_days: int | None = Field(
        description="Keep-in-touch override in days (1-30); null follows the tier's policy."
    )
    next_due_at: dt.datetime | None = Field(
        description="When the next contact falls due; null for prospects and archived customers."
    )
    tier: str = Field(description='Value tier "A", "B" or "C"; "" before the first refresh.')

    @staticmethod
    def resolve_referred_by(obj: Customer) -> int | None:
        return obj.referred_by_id

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_email_consent_at(obj: Customer) -> dt.datetime | None:
        # In UTC like every stored time, also when the client sent it with another offset.
        return obj.email_consent_at.astimezone(dt.UTC) if obj.email_consent_at else None


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


# The plain fields a client may write, by name: handlers copy exactly these onto the model.
CUSTOMER_FIELDS = (
    "status",
    "first_name",
    "last_name",
    "nickname",
    "company",
    "job_title",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "how_we_met",
    "notes",
    "external_id",
    "email_consent",
    "email_consent_at",
    "email_consent_source",
    "became_customer_on",
    "contact_every_days",
)


class CustomerIn(Schema):
    """A whole customer, for POST (create) and PUT (replace); omitted fields take defaults."""

    status: Status = Status.CUSTOMER
    owner: int | None = Field(
        None,
        description="User id. Omitted: the caller owns a new customer, an edited one keeps "
        "its owner. Only owners and managers may name somebody else.",
    )
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    company: str = ""
    job_title: str = ""
    emails: list[EmailIn] = []
    phones: list[PhoneIn] = []
    street: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    how_we_met: str = ""
    referred_by: int | None = Field(None, description="Id of a customer you can see.")
    tags: list[str] = []
    notes: str = ""
    external_id: str | None = Field(None, description="Unique across customers when set.")
    email_consent: bool = False
    email_consent_at: UtcDatetime | None = Field(
        None, description="When consent was given; set to now when email_consent changes."
    )
    email_consent_source: str = ""
    became_customer_on: dt.date | None = None
    contact_every_days: int | None = Field(
        None, ge=1, le=30, description="Keep in touch at least every N days; null: the tier's."
    )


_NOT_NULL = (
    "status",
    "first_name",
    "last_name",
    "nickname",
    "company",
    "job_title",
    "emails",
    "phones",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "how_we_met",
    "tags",
    "notes",
    "email_consent",
    "email_consent_source",
)


class CustomerPatch(Schema):
    """Only the fields sent are changed. Lists (emails, phones, tags) are replaced whole."""

    status: Status | None = None
    owner: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    nickname: str | None = None
    company: str | None = None
    job_title: str | None = None
    emails: list[EmailIn] | None = None
    phones: list[PhoneIn] | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    how_we_met: str | None = None
    referred_by: int | None = None
    tags: list[str] | None = None
    notes: str | None = None
    external_id: str | None = None
    email_consent: bool | None = None
    email_consent_at: UtcDatetime | None = None
    email_consent_source: str | None = None
    became_customer_on: dt.date | None = None
    contact_every_days: int | None = Field(None, ge=1, le=30)

    @field_validator(*_NOT_NULL)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields the client sent; an explicit null is a mistake there.
        if value is None:
            raise ValueError("may not be null (send an empty value to clear it)")
        return value


class CustomerQuery(Schema):
    q: str = Field("", description="Search names, company, email addresses and phone numbers.")
    status: Status | None = None
    owner: RowId | None = Field(None, description="Only the customers of this user id.")
    tag: str = ""
    archived: bool = Field(False, description="true lists the archive instead.")
    sort: str = Field("name", description="One of: " + ", ".join(SORTS))
    cursor: str = Field("", description="next_cursor from the previous page.")
    limit: int = Field(50, ge=1, le=200)

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value not in SORTS:
            raise ValueError(f"sort must be one of: {', '.join(SORTS)}")
        return value


# ---------------------------------------------------------------- duplicates


class DuplicateQuery(Schema):
    cursor: str = Field("", description="next_cursor from the previous page.")
    limit: int = Field(50, ge=1, le=200)


class DuplicatePairOut(Schema):
    a: CustomerOut = Field(description="The record with the lower id.")
    b: CustomerOut
    reasons: list[str] = Field(description='Why, strongest first: "same email anna@berg.se".')


class DuplicatePageOut(Schema):
    items: list[DuplicatePairOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class MergeIn(Schema):
    other: int = Field(description="Id of the customer merged into this one, then deleted.")


class MergeOut(Schema):
    customer: CustomerOut = Field(description="The customer kept, after the merge.")
    moved: dict[str, int] = Field(
        description="What came over from the other record, by kind: touches, purchases, …"
    )


# ---------------------------------------------------------------- relatives


class RelativeOut(Schema):
    id: int
    name: str
    relationship: Relationship
    birthday: str | None = Field(description="YYYY-MM-DD, or --MM-DD when the year is unknown.")
    notes: str
    created_at: dt.datetime

    @staticmethod
    def resolve_birthday(obj: Relative) -> str | None:
        return obj.birthday.isoformat() if obj.birthday else None


class RelativeIn(Schema):
    name: str
    relationship: Relationship
    birthday: str | None = Field(None, description="YYYY-MM-DD, or --MM-DD without the year.")
    notes: str = ""


RELATIVE_FIELDS = ("name", "relationship", "birthday", "notes")


class RelativePatch(Schema):
    name: str | None = None
    relationship: Relationship | None = None
    birthday: str | None = None
    notes: str | None = None

    @field_validator("name", "relationship", "notes")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


# ---------------------------------------------------------------- profile sheet


class QuestionOut(Schema):
    key: str
    section: Section
    text: str
    help_text: str
    kind: AnswerKind = Field(description="text, date (YYYY-MM-DD or --MM-DD), number or choice")
    choices: list[str]
    hidden: bool


class ProfileRowOut(Schema):
    key: str
    text: str
    help_text: str
    kind: AnswerKind
    choices: list[str]
    value: str | None = Field(description="The stored answer in canonical form; null if none.")
    display: str = Field(description="The answer as a person reads it.")
    updated_at: dt.datetime | None


class ProfileSectionOut(Schema):
    key: Section
    label: str
    answered: int
    questions: list[ProfileRowOut]


class ProfileOut(Schema):
    completeness: int = Field(description="Percent of the visible questions answered.")
    answered: int
    total: int
    sections: list[ProfileSectionOut]
    unknown: list[str] = Field(description="Keys of the questions not answered yet.")


class AnswerIn(Schema):
    value: str = Field(description="The answer; a blank value deletes it.")


def profile_row(row: SheetRow) -> dict[str, Any]:
    q, answer = row.question, row.answer
    return {
        "key": q.key,
        "text": q.text,
        "help_text": q.help_text,
        "kind": q.kind,
        "choices": q.choices,
        "value": answer.value if answer else None,
        "display": row.display,
        "updated_at": answer.updated_at if answer else None,
    }


def profile_out(sheet: ProfileSheet) -> dict[str, Any]:
    """The profile sheet in the shape of ProfileOut."""
    return {
        "completeness": sheet.completeness,
        "answered": sheet.answered,
        "total": sheet.total,
        "sections": [
            {
                "key": s.key,
                "label": s.label,
                "answered": s.answered,
                "questions": [profile_row(r) for r in s.rows],
            }
            for s in sheet.sections
        ],
        "unknown": [q.key for q in sheet.unknown],
    }
