"""Dates whose year may be unknown: a birthday told without the year.

Stored as text in ISO 8601 form: "1980-04-03" with a year, "--04-03" without
(the form vCard 4 uses for BDAY), so they sort by month and day on the tail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

_FULL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NO_YEAR = re.compile(r"^--(\d{1,2})-?(\d{1,2})$")
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip


@dataclass(frozen=True, order=True)
class PartialDate:
    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        # Validate against a leap year when the year is unknown, so 29 February is allowed.
        try:
            dt.date(self.year or 2000, self.month, self.day)
        except ValueError as e:
            raise ValueError(f"{self.isoformat()} is not a date on the calendar") from e

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read "1980-04-03" or "--04-03" (also "--0403"); raise ValueError otherwise."""
        text = text.strip()
        if m := _FULL.match(text):
            return cls(year=int(m[1]), month=int(m[2]), day=int(m[3]))
        if m := _NO_YEAR.match(text):
            return cls(month=int(m[1]), day=int(m[2]))
        raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD, or --MM-DD without the year")

    def isoformat(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        text = f"{self.day} {MONTHS[self.month - 1]}"
        return f"{text} {self.year}" if self.year else text

    def as_date(self) -> dt.date | None:
        return dt.date(self.year, self.month, self.day) if self.year else None


class PartialDateField(models.CharField):
    """A PartialDate stored as its ISO text (10 characters)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 10)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection) -> PartialDate | None:
        if not value:
            return None
        return PartialDate.parse(value)

    def to_python(self, value) -> PartialDate | None:
        if value is None or isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.date):
            return PartialDate(year=value.year, month=value.month, day=value.day)
        if not str(value).strip():
            return None
        try:
            return PartialDate.parse(str(value))
        except ValueError as e:
            raise ValidationError(str(e), code="invalid") from e

    def run_validators(self, value) -> None:
        # CharField's validators (max_length) measure the stored text, not the object.
        super().run_validators(value.isoformat() if isinstance(value, PartialDate) else value)

    def get_prep_value(self, value) -> str | None:
        value = self.to_python(value)
        return value.isoformat() if value else None

    def value_to_string(self, obj) -> str:
        value = self.value_from_object(obj)
        return value.isoformat() if value else ""
