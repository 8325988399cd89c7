"""Reading files into tables: encodings, delimiters, line numbers, unusable files."""

import codecs

import pytest

from lifelong.customers.partial_dates import PartialDate
from lifelong.imports.dates import parse_date
from lifelong.imports.mapping import guess_mapping, load_mapping
from lifelong.imports.reading import UnusableFile, read_table


def test_it_reads_utf8_with_a_bom_and_sniffs_semicolons():
    table = read_table(codecs.BOM_UTF8 + "First name;Last name\nÅsa;Ström\n".encode())
    assert (table.encoding, table.delimiter) == ("utf-8", ";")
    assert table.columns == ["First name", "Last name"]
    assert [r.cells for r in table.rows()] == [["Åsa", "Ström"]]


def test_it_reads_cp1252():
    table = read_table("Name,City\r\nHans Müller,Köln\r\n".encode("cp1252"))
    assert table.encoding == "cp1252"
    assert next(table.rows()).cells == ["Hans Müller", "Köln"]


def test_it_reads_utf16_with_tabs():
    table = read_table("Name\tEmail\nZoë Ång\tzoe@example.com\n".encode("utf-16"))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert next(table.rows()).cells == ["Zoë Ång", "zoe@example.com"]


def test_rows_carry_physical_line_numbers_past_blank_lines_and_multi_line_fields():
    data = b'Name,Notes\n\nAnna,"one\ntwo\nthree"\n\nBo,x\n'
    rows = list(read_table(data).rows())
    assert [(r.line, r.end) for r in rows] == [(3, 5), (7, 7)]
    assert rows[0].cells[1] == "one\ntwo\nthree"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (b"\x81\x8d\x8f\x90\x9d", "not text"),
        (b"BEGIN:VCARD\nEND:VCRD\n", "no vCard"),
    ],
)
def test_an_unusable_file_says_why(data, reason):
    with pytest.raises(UnusableFile, match=reason):
        read_table(data, format="vcard" if b"VCARD" in data else "auto")


def test_formats_are_detected_from_the_header():
    assert read_table(b"Given Name,Family Name,E-mail 1 - Value\n").format == "google"
    assert read_table(b"First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value\n").format == (
        "google"
    )
    assert read_table(b"Record ID,First Name,Email\n").format == "hubspot"
    assert read_table(b"first_name,email\n").format == "csv"
    assert read_table(b"BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n").format == "vcard"


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("1980-04-03", "DMY", PartialDate(4, 3, 1980)),
        ("19800403", "DMY", PartialDate(4, 3, 1980)),
        ("03/04/1980", "DMY", PartialDate(4, 3, 1980)),
        ("03/04/1980", "MDY", PartialDate(3, 4, 1980)),
        ("1980/04/03", "YMD", PartialDate(4, 3, 1980)),
        ("3.4.1980", "DMY", PartialDate(4, 3, 1980)),
        ("April 3", "DMY", PartialDate(4, 3)),
        ("3 April", "MDY", PartialDate(4, 3)),
        ("Apr 3, 1980", "DMY", PartialDate(4, 3, 1980)),
        ("--0403", "DMY", PartialDate(4, 3)),
        ("--04-03", "DMY", PartialDate(4, 3)),
        ("1980-04-03T00:00:00Z", "DMY", PartialDate(4, 3, 1980)),
    ],
)
def test_dates_as_people_write_them(text, order, expected):
    assert parse_date(text, order) == expected


@pytest.mark.parametrize("text", ["31/02/1980", "soon", "April", "13/13/1980", "1980"])
def test_what_is_no_date_is_refused(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


def test_google_mapping_pairs_values_with_their_labels():
    mapping = guess_mapping(
        ["Given Name", "Family Name", "E-mail 1 - Type", "E-mail 1 - Value", "Phone 1 - Type",
         "Phone 1 - Value", "Organization 1 - Name", "Birthday"],
        "google",
    )  # fmt: skip
    assert mapping.columns["E-mail 1 - Value"] == "email"
    assert mapping.labels == {
        "E-mail 1 - Value": "E-mail 1 - Type",
        "Phone 1 - Value": "Phone 1 - Type",
    }
    assert mapping.columns["Organization 1 - Name"] == "company"


def test_a_mapping_file_names_only_known_fields():
    mapping = load_mapping(
        'date_order = "MDY"\non_duplicate = "update"\n[columns]\n"Förnamn" = "first_name"\n'
        '"Jobbmejl" = "email:work"\n'
    )
    assert mapping.columns == {"Förnamn": "first_name", "Jobbmejl": "email:work"}
    assert (mapping.date_order, mapping.on_duplicate) == ("MDY", "update")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="is_superuser"):
        load_mapping('[columns]\n"x" = "is_superuser"\n')
    with pytest.raises(ValidationError, match="not TOML"):
        load_mapping("[columns\n")
