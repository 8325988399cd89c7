"""Dates as people write them in spreadsheets and address books, read into PartialDates.

ISO (`1980-04-03`, `19800403`, also with a time after it), numeric dates in the order the
user chose (`03/04/1980` is 3 April in DMY, 4 March in MDY), month names (`April 3`,
`3 April 1980`, `Apr 3, 1980`), and the vCard forms without a year (`--0403`,
`--04-03`). A date without a year becomes a PartialDate without a year.
"""

from __future__ import annotations

import re

from lifelong.customers.partial_dates import MONTHS, PartialDate

DATE_ORDERS = ("DMY", "MDY", "YMD")

_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
_NUMERIC_NO_YEAR = re.compile(r"^(\d{1,2})[/.](\d{1,2})\.?$")
_WORDS = re.compile(r"[A-Za-z]+|\d+")
_MONTH_NAMES = (
    {m.lower(): i for i, m in enumerate(MONTHS, 1)}
    | {m[:3].lower(): i for i, m in enumerate(MONTHS, 1)}
    | {"sept": 9}
)


def parse_date(raw: str, order: str = "DMY") -> PartialDate:
    """The date `raw` names; ValueError with a sentence for a person otherwise."""
    text = raw.strip()
    try:
        return _parse(text, order)
    except ValueError:
        pass
    raise ValueError(
        f"{text!r} is not a date (write 1980-04-03, {_example(order)}, 3 April, or --04-03)"
    )


def _example(order: str) -> str:
    return {"DMY": "03/04/1980", "MDY": "04/03/1980", "YMD": "1980/04/03"}[order]


def _parse(text: str, order: str) -> PartialDate:
    if m := _ISO.match(text):
        return PartialDate(year=int(m[1]), month=int(m[2]), day=int(m[3]))
    if m := _NO_YEAR.match(text):
        return PartialDate(month=int(m[1]), day=int(m[2]))
    if m := _NUMERIC.match(text):
        a, b, c = m[1], m[2], m[3]
        if len(a) == 4:  # a year first is unambiguous, whatever the order
            return PartialDate(year=int(a), month=int(b), day=int(c))
        if order == "YMD":
            raise ValueError(text)
        day, month = (a, b) if order == "DMY" else (b, a)
        return PartialDate(year=_year(c), month=int(month), day=int(day))
    if m := _NUMERIC_NO_YEAR.match(text):
        day, month = (m[1], m[2]) if order == "DMY" else (m[2], m[1])
        return PartialDate(month=int(month), day=int(day))
    words = _WORDS.findall(text)
    names = [w for w in words if not w.isdigit()]
    numbers = [w for w in words if w.isdigit()]
    if len(names) == 1 and names[0].lower() in _MONTH_NAMES and 1 <= len(numbers) <= 2:
        month = _MONTH_NAMES[names[0].lower()]
        day = next((int(n) for n in numbers if len(n) <= 2), None)
        years = [n for n in numbers if len(n) == 4]
        if day is None or len(numbers) != 1 + len(years):
            raise ValueError(text)
        return PartialDate(month=month, day=day, year=int(years[0]) if years else None)
    raise ValueError(text)


def _year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    if len(text) == 2:
        # A birthday in two digits: 80 is 1980; 05 is 2005 (people born this century).
        from django.utils import timezone

        this = timezone.now().year % 100
        return int(text) + (2000 if int(text) <= this else 1900)
    raise ValueError(text)
