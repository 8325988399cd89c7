"""Which column of a file fills which field of a customer.

A Mapping names, for each column it reads, a target from TARGETS, a fixed whitelist: the
importer sets fields by these names itself, so nothing a file or a mapping says ever
reaches the database as a field name. `guess_mapping` knows Google Contacts (both of its
CSV headers), HubSpot, vCard files read as tables, Lifelong's own CSV export, and the
usual names of a hand-made spreadsheet; `load_mapping` reads a MAP.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from lifelong.imports.dates import DATE_ORDERS

ON_DUPLICATE = ("skip", "update", "create")

# Text fields of Customer that a column may fill as they are.
TEXT_FIELDS = (
    "first_name", "last_name", "nickname", "company", "job_title", "street", "postal_code",
    "city", "region", "country", "notes", "how_we_met", "external_id",
)  # fmt: skip
EMAIL_TARGETS = ("email", "email:home", "email:work", "email:other")
PHONE_TARGETS = ("phone", "phone:mobile", "phone:home", "phone:work", "phone:other")
TARGETS = (
    *TEXT_FIELDS,
    "full_name",  # split into first and last name when those are empty
    "status",
    "tags",
    *EMAIL_TARGETS,
    *PHONE_TARGETS,
    "birthday",
    "wedding_anniversary",
    "event",  # Google's "Event 1 - Value": an anniversary when its label says so
    "email_consent",
    "owner",  # a username
)
# Targets that several columns may fill: their values add up.
MANY = {"notes", "tags", "event", *EMAIL_TARGETS, *PHONE_TARGETS}


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # column name -> target
    labels: dict[str, str] = field(default_factory=dict)  # value column -> its label column
    date_order: str | None = None
    owner: str | None = None  # a username
    on_duplicate: str | None = None

    def validate(self) -> None:
        """ValidationError naming every target, option or pairing that is not allowed."""
        errors = []
        for column, target in self.columns.items():
            if target not in TARGETS:
                errors.append(
                    f"{column!r} maps to {target!r}, which is no field (the fields are "
                    f"{', '.join(TARGETS)})"
                )
        seen: dict[str, str] = {}
        for column, target in self.columns.items():
            if target in seen and target not in MANY:
                errors.append(f"{seen[target]!r} and {column!r} both map to {target}")
            seen.setdefault(target, column)
        for column in self.labels:
            target = self.columns.get(column, "")
            if target.split(":")[0] not in ("email", "phone", "event"):
                errors.append(f"{column!r} has a label column but is no email, phone or event")
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            errors.append(f"date_order must be one of {', '.join(DATE_ORDERS)}")
        if self.on_duplicate is not None and self.on_duplicate not in ON_DUPLICATE:
            errors.append(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}")
        if errors:
            raise ValidationError(errors)

    def unmapped(self, columns: list[str]) -> list[str]:
        """The named columns of the file that nothing reads (label columns are read)."""
        used = set(self.columns) | set(self.labels.values())
        return [c for c in columns if c and c not in used]


def load_mapping(text: str) -> Mapping:
    """A Mapping from a MAP.toml; ValidationError when it is not TOML or names a bad target.

    ```toml
    date_order = "MDY"          # also under [options]
    owner = "ruben"
    on_duplicate = "update"
    [columns]
    "Their column" = "first_name"
    "Work mail" = "email:work"
    [labels]
    "Mail 1" = "Mail 1 type"    # the label of each address comes from this column
    ```
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValidationError(f"The mapping is not TOML: {e}") from None
    options = {**data, **(data.get("options") or {})}
    known = {"columns", "labels", "options", "date_order", "owner", "on_duplicate"}
    errors = [f"unknown key {k!r} in the mapping" for k in options if k not in known]
    columns, labels = data.get("columns") or {}, data.get("labels") or {}
    for table, name in ((columns, "columns"), (labels, "labels")):
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            errors.append(f"[{name}] must map column names to names in quotes")
    for key in ("date_order", "owner", "on_duplicate"):
        if key in options and not isinstance(options[key], str):
            errors.append(f"{key} must be text in quotes")
    if errors:
        raise ValidationError(errors)
    mapping = Mapping(
        columns={str(k): v.strip() for k, v in columns.items()},
        labels={str(k): v for k, v in labels.items()},
        date_order=options.get("date_order"),
        owner=options.get("owner"),
        on_duplicate=options.get("on_duplicate"),
    )
    mapping.validate()
    return mapping


# ---------------------------------------------------------------- guessing


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Exact header names of Google Contacts (old and new exports) and HubSpot, by key.
_KNOWN = {
    # Google Contacts
    "givenname": "first_name", "familyname": "last_name", "name": "full_name",
    "nickname": "nickname", "birthday": "birthday", "notes": "notes",
    "groupmembership": "tags", "labels": "tags",
    "organization1name": "company", "organizationname": "company",
    "organization1title": "job_title", "organizationtitle": "job_title",
    "address1street": "street", "address1city": "city", "address1postalcode": "postal_code",
    "address1region": "region", "address1country": "country",
    # HubSpot
    "firstname": "first_name", "lastname": "last_name", "email": "email",
    "phonenumber": "phone:work", "mobilephonenumber": "phone:mobile",
    "companyname": "company", "jobtitle": "job_title", "streetaddress": "street",
    "city": "city", "stateregion": "region", "postalcode": "postal_code",
    "countryregion": "country", "recordid": "external_id", "lifecyclestage": "status",
    # vCard files read as tables (reading.VCARD_COLUMNS)
    "fullname": "full_name", "company": "company", "street": "street", "region": "region",
    "country": "country", "anniversary": "wedding_anniversary", "categories": "tags",
    # Lifelong's own CSV export, and the usual names of a hand-made sheet
    "status": "status", "first": "first_name", "last": "last_name", "surname": "last_name",
    "forename": "first_name", "organization": "company", "organisation": "company",
    "title": "job_title", "position": "job_title", "address": "street",
    "address1": "street", "addressline1": "street", "postcode": "postal_code",
    "zip": "postal_code", "zipcode": "postal_code", "town": "city", "state": "region",
    "province": "region", "note": "notes", "comments": "notes", "howwemet": "how_we_met",
    "externalid": "external_id", "customerid": "external_id", "customernumber": "external_id",
    "tags": "tags", "tag": "tags", "emails": "email", "emailaddress": "email", "mail": "email",
    "workemail": "email:work", "homeemail": "email:home", "phone": "phone", "phones": "phone",
    "telephone": "phone", "tel": "phone", "mobile": "phone:mobile", "mobilephone": "phone:mobile",
    "cell": "phone:mobile", "workphone": "phone:work", "homephone": "phone:home",
    "birthdate": "birthday", "dateofbirth": "birthday", "dob": "birthday", "bday": "birthday",
    "weddinganniversary": "wedding_anniversary", "emailconsent": "email_consent",
    "marketingconsent": "email_consent", "owner": "owner",
}  # fmt: skip
for _target in (*TEXT_FIELDS, "wedding_anniversary", "email_consent", "full_name"):
    _KNOWN.setdefault(_key(_target), _target)

# Numbered columns with a value and a label: Google's "E-mail 1 - Value" with
# "E-mail 1 - Type" (old export) or "E-mail 1 - Label" (new), a vCard table's "Email 1"
# with "Email 1 label".
_NUMBERED = re.compile(
    r"^(e-?mail|phone|event)\s*(\d+)(?:\s*-\s*(value|type|label)|\s+(label))?$", re.IGNORECASE
)


def guess_mapping(columns: list[str], format: str = "csv") -> Mapping:
    """The mapping a person would most likely choose for a file with these columns.

    Columns it does not know are left out (Mapping.unmapped lists them). `format` is
    what read_table found; the header names decide, so it only breaks ties.
    """
    mapping = Mapping()
    numbered: dict[tuple[str, str], dict[str, str]] = {}
    for column in columns:
        name = column.strip()
        if not name:
            continue
        if m := _NUMBERED.match(name):
            kind = "email" if m[1].lower().replace("-", "") == "email" else m[1].lower()
            part = (m[3] or m[4] or "value").lower()
            numbered.setdefault((kind, m[2]), {})["label" if part != "value" else "value"] = column
            continue
        target = _KNOWN.get(_key(name))
        if target is None:
            continue
        if target == "full_name" and format == "hubspot":
            continue
        if target in mapping.columns.values() and target not in MANY:
            continue  # the first column wins; a person can change it
        mapping.columns[column] = target
    for (kind, _), parts in numbered.items():
        if "value" in parts:
            mapping.columns[parts["value"]] = kind
            if "label" in parts:
                mapping.labels[parts["value"]] = parts["label"]
    return mapping


def label_of(kind: str, text: str) -> str:
    """Our label for an email or phone from another system's words ("* Work", "Mobile",
    "_$!<Mobile>!$_", "cell"): home, work, mobile or other."""
    words = text.lower()
    if kind == "phone" and any(w in words for w in ("mobile", "cell", "iphone")):
        return "mobile"
    if "work" in words or "business" in words:
        return "work"
    if "home" in words or "personal" in words:
        return "home"
    if kind == "phone" and not words.strip():
        return "mobile"
    if kind == "email" and not words.strip():
        return "home"
    return "other"
