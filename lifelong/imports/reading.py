"""A customer file as a table: its format, encoding and delimiter found, its rows numbered.

`read_table` takes the file's bytes (an upload or a file read whole) and returns a
Table: columns and rows, each row with the physical line it starts on. CSV rows are read
again on every pass over the decoded text, so a million rows need no list of a million
rows; vCard files (address books, small) become rows of fixed columns, one per card.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from lifelong.imports import vcard
from lifelong.imports.dates import DATE_ORDERS
from lifelong.tabular import UnusableFile, csv_records, decode, delimiter_for, first_line

__all__ = ["FORMATS", "Row", "Table", "UnusableFile", "read_table"]

FORMATS = ("auto", "csv", "vcard", "google", "hubspot")

# The columns of a vCard file read as a table; emails and phones are numbered from 1.
VCARD_COLUMNS = [
    "First name", "Last name", "Full name", "Nickname", "Company", "Job title", "Street",
    "Postal code", "City", "Region", "Country", "Notes", "Birthday", "Anniversary",
    "Categories",
]  # fmt: skip
_VCARD_FIELDS = [
    "first_name", "last_name", "full_name", "nickname", "company", "job_title", "street",
    "postal_code", "city", "region", "country", "notes", "birthday", "anniversary",
]  # fmt: skip


@dataclass(frozen=True)
class Row:
    """A data row: the physical line it starts on, its cells, and the line it ends on;
    `error` says why the row could not be read at all (its cells are then empty)."""

    line: int
    cells: list[str]
    end: int = 0
    error: str = ""


@dataclass
class Table:
    format: str  # "csv", "vcard", "google" or "hubspot"
    encoding: str
    delimiter: str  # "" for vCard
    columns: list[str]
    date_order: str = "DMY"
    file_name: str = ""
    _text: str = field(default="", repr=False)
    _rows: list[Row] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[Row]:
        """Every data row in file order (blank lines are no rows)."""
        if self._rows is not None:
            yield from self._rows
            return
        records = csv_records(io.StringIO(self._text, newline=""), self.delimiter)
        next(records, None)  # the header
        for record in records:
            yield Row(record.line, record.cells, record.end, record.error)

    def preview(self, n: int = 20) -> list[Row]:
        """The first `n` rows, for a person to check the columns were read right."""
        out = []
        for row in self.rows():
            if len(out) >= n:
                break
            out.append(row)
        return out

    def text_length(self) -> int:
        """How many characters the CSV text has (0 for a vCard file, read as rows)."""
        return len(self._text) if self._rows is None else 0

    def count(self) -> int:
        """How many data rows the table has."""
        if self._rows is not None:
            return len(self._rows)
        return sum(1 for _ in self.rows())


def read_table(
    data: bytes,
    *,
    format: str = "auto",
    delimiter: str = "auto",
    date_order: str = "DMY",
    file_name: str = "",
) -> Table:
    """The table in `data`; UnusableFile with a reason a person can act on otherwise.

    `format` "auto" tells a vCard file by its first line and a Google Contacts or
    HubSpot export by its header. `delimiter` "auto" sniffs `,` `;` tab or `|` from the
    header. `date_order` is how the importer reads dates such as 03/04/1980.
    """
    if format not in FORMATS:
        raise UnusableFile(f"the format must be one of {', '.join(FORMATS)}, not {format!r}")
    if date_order not in DATE_ORDERS:
        raise UnusableFile(f"the date order must be one of {', '.join(DATE_ORDERS)}")
    if not data.strip():
        raise UnusableFile("the file is empty")
    text, encoding = decode(data)
    if not text.strip():
        raise UnusableFile("the file is empty")
    if format == "vcard" or (format == "auto" and vcard.looks_like_vcard(text)):
        return _vcard_table(text, encoding, date_order, file_name)
    if vcard.looks_like_vcard(text):
        raise UnusableFile(f"it is a vCard file, not {format}: use --format vcard or auto")
    header_line = first_line(io.StringIO(text, newline=""))
    sep = delimiter_for(delimiter, header_line)
    header = next(csv_records(io.StringIO(text, newline=""), sep), None)
    if header is None or header.error or not any(c.strip() for c in header.cells):
        raise UnusableFile("it has no header row naming its columns")
    columns = [c.strip() for c in header.cells]
    if sum(1 for c in columns if c) == 1 and len(header_line) > 40 and delimiter == "auto":
        raise UnusableFile(
            "its first line is not a header of named columns separated by , ; or tab"
        )
    if _looks_binary(header_line):
        raise UnusableFile("it is not a text file of rows and columns")
    if format == "auto":
        format = detect_format(columns)
    return Table(format, encoding, sep, columns, date_order, file_name, _text=text)


def _looks_binary(line: str) -> bool:
    controls = sum(1 for c in line if ord(c) < 32 and c not in "\t\r\n")
    return controls > max(2, len(line) // 20)


def detect_format(columns: list[str]) -> str:
    """ "google", "hubspot" or "csv", from a CSV header."""
    names = {c.strip().lower() for c in columns}
    if {"given name", "e-mail 1 - value"} & names or (
        "first name" in names and {"e-mail 1 - label", "phone 1 - label"} & names
    ):
        return "google"
    if {"record id", "lifecycle stage"} & names or {"email", "phone number", "first name"} <= names:
        return "hubspot"
    return "csv"


def _vcard_table(text: str, encoding: str, date_order: str, file_name: str) -> Table:
    contacts = list(vcard.parse_vcards(text))
    if not contacts:
        raise UnusableFile("it holds no vCard (BEGIN:VCARD … END:VCARD)")
    emails = max(1, *(len(c.emails) for c in contacts))
    phones = max(1, *(len(c.phones) for c in contacts))
    columns = list(VCARD_COLUMNS)
    for i in range(1, emails + 1):
        columns += [f"Email {i}", f"Email {i} label"]
    for i in range(1, phones + 1):
        columns += [f"Phone {i}", f"Phone {i} label"]
    rows = []
    for c in contacts:
        cells = [getattr(c, name) for name in _VCARD_FIELDS]
        cells.append(", ".join(c.categories))
        for i in range(emails):
            cells += list(c.emails[i]) if i < len(c.emails) else ["", ""]
        for i in range(phones):
            cells += list(c.phones[i]) if i < len(c.phones) else ["", ""]
        rows.append(Row(c.line, cells, c.line))
    return Table("vcard", encoding, "", columns, date_order, file_name, _rows=rows)
