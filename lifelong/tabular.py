"""Reading tables that people bring: encodings, delimiters and line-numbered CSV rows.

Shared by the importers (purchases in commerce, customers in imports), so that every
import finds the same encodings and delimiters and numbers its lines the same way:
physical lines of the file, the header being line 1, so a quoted field that spans lines
moves the numbers of the rows after it as an editor shows them.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# What --delimiter accepts, and the character each name stands for ("" = sniff).
DELIMITERS = {"auto": "", ",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
SNIFFED = (",", ";", "\t", "|")


class UnusableFile(Exception):
    """The file cannot be imported at all; the message says why, for a person to read."""


@dataclass(frozen=True)
class Rejection:
    """A row that was not imported: its line and why, as "line N: reason"."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class CsvRecord:
    """One non-blank record of a CSV file: its first and last physical line, and its
    cells, or `error` when the csv module could not read it."""

    line: int
    end: int
    cells: list[str]
    error: str = ""


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding it was read in.

    Strict UTF-8 first (a byte order mark is dropped), then UTF-16 when the data starts
    with its byte order mark, else cp1252 (what Excel on Windows writes as "CSV"). UTF-8
    goes first because cp1252 would read almost any bytes, wrongly. Raises UnusableFile
    for data that is none of these, or that holds NUL bytes (a binary file).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(
        codecs.BOM_UTF8
    ):
        candidates = ("utf-16", "utf-8-sig", "cp1252")
    else:
        candidates = ("utf-8-sig", "utf-16", "cp1252")
    for encoding in candidates:
        if encoding == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise UnusableFile("it is not a text file (it holds NUL bytes): is it a spreadsheet?")
        name = {"utf-8-sig": "utf-8", "utf-16": "utf-16"}.get(encoding, encoding)
        return text, name
    raise UnusableFile("it is not text in UTF-8, UTF-16 or Windows-1252")


def delimiter_for(name: str, first_line: str) -> str:
    """The delimiter `name` stands for (see DELIMITERS), or, for "auto", the one sniffed
    from `first_line`. Raises UnusableFile for a name that is no single character."""
    explicit = DELIMITERS.get(name, name)
    if explicit:
        if len(explicit) != 1:
            raise UnusableFile(f"the delimiter must be one character, not {name!r}")
        return explicit
    return sniff_delimiter(first_line)


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV file from its header line: of `,` `;` tab and `|`, the one
    it holds most of (a header names plain words), a comma when it holds none."""
    counts = {d: header.count(d) for d in SNIFFED}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def first_line(lines: Iterable[str]) -> str:
    """The first line that is not blank (the header of a CSV file), or ""."""
    return next((line for line in lines if line.strip()), "")


def csv_records(lines: Iterable[str], delimiter: str) -> Iterator[CsvRecord]:
    """Every non-blank record of CSV text (`lines` as a file opened with newline=""
    gives them), numbered by physical line. A record the csv module cannot read comes
    with `error` set and no cells, and reading goes on after it."""
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield CsvRecord(start, reader.line_num, [], f"not readable as CSV ({e})")
            continue
        if any(c.strip() for c in cells):
            yield CsvRecord(start, reader.line_num, cells)


def runs_on(line: int, end: int) -> str:
    """What to add to a rejected record's reason when it spans lines: a quote left open
    is the usual cause."""
    return f" (the row runs to line {end}: is a quote left open?)" if end > line else ""
