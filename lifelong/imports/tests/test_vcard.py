"""vCard reading and writing, on their own."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lifelong.imports.vcard import Contact, fold, parse_vcards, write_vcard


def test_it_reads_folded_lines_types_and_dates_of_vcard_4():
    text = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Åsa Ström\r\nN:Ström;Åsa;;;\r\n"
        "EMAIL;TYPE=work:asa@work.example\r\nEMAIL;type=home,pref:asa@\r\n home.example\r\n"
        'TEL;TYPE=cell:+46701234567\r\nTEL;TYPE="work,voice":+4681234567\r\n'
        "BDAY:--0403\r\nANNIVERSARY:20050611\r\nX-UNKNOWN;FOO=bar:baz\r\nEND:VCARD\r\n"
    )
    (c,) = parse_vcards(text)
    assert (c.first_name, c.last_name, c.full_name) == ("Åsa", "Ström", "Åsa Ström")
    assert c.emails == [("asa@work.example", "work"), ("asa@home.example", "home")]
    assert c.phones == [("+46701234567", "mobile"), ("+4681234567", "work")]
    assert (c.birthday, c.anniversary) == ("--0403", "20050611")


def test_it_decodes_quoted_printable_of_vcard_21():
    text = (
        "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\n"
        "=C3=B6rg;;;\nTEL;CELL;VOICE:+49 151 1234567\nNOTE;ENCODING=QUOTED-PRINTABLE:a=0D=0Ab\n"
        "END:VCARD\n"
    )
    (c,) = parse_vcards(text)
    assert (c.first_name, c.last_name) == ("Jörg", "Müller")
    assert c.phones == [("+49 151 1234567", "mobile")]


def test_a_huge_photo_is_skipped():
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * 50_000
    folded = fold(photo).rstrip("\r\n")
    text = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A B\r\nN:B;A;;;\r\n{folded}\r\nEND:VCARD\r\n"
    (c,) = parse_vcards(text)
    assert (c.first_name, c.last_name, c.emails) == ("A", "B", [])


def test_lines_are_folded_at_75_octets_never_inside_a_character():
    line = "NOTE:" + "å" * 100
    folded = fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(p.encode()) <= 75 for p in physical)
    assert "".join([physical[0]] + [p[1:] for p in physical[1:]]) == line


def test_it_writes_a_birthday_without_a_year_as_dashes():
    card = write_vcard(Contact(first_name="A", birthday="--04-03", anniversary="2001-05-19"))
    assert "BDAY:--0403\r\n" in card
    assert "ANNIVERSARY:20010519\r\n" in card
    assert "X-ANNIVERSARY:2001-05-19\r\n" in write_vcard(
        Contact(first_name="A", anniversary="2001-05-19"), "3.0"
    )


names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r")
    | st.sampled_from([",", ";", "\\", "\n", ":", '"']),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(first=names, last=names, company=names, notes=names, version=st.sampled_from(["3.0", "4.0"]))
def test_any_names_round_trip_through_the_writer_and_the_reader(
    first, last, company, notes, version
):
    contact = Contact(first_name=first, last_name=last, company=company, notes=notes)
    (back,) = parse_vcards(write_vcard(contact, version))
    assert (back.first_name, back.last_name) == (first.strip(), last.strip())
    assert back.company == company.strip()
    assert back.notes == notes.strip()
