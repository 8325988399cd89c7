"""import_customers and undo_import: messy files, real exports, duplicates, owners, undo."""

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from lifelong.customers.models import Customer, CustomerEmail, SearchTerm
from lifelong.customers.services import save_customer
from lifelong.imports.mapping import Mapping, guess_mapping
from lifelong.imports.models import ImportBatch
from lifelong.imports.reading import read_table
from lifelong.imports.services import import_customers, undo_import
from lifelong.occasions.models import Occasion

FIXTURES = Path(__file__).parent / "fixtures"


def run(data: bytes, by, **kwargs):
    table = read_table(data, **{k: kwargs.pop(k) for k in ("format", "date_order") if k in kwargs})
    return import_customers(table, guess_mapping(table.columns, table.format), by=by, **kwargs)


def answers(customer: Customer) -> dict[str, str]:
    return {a.question.key: a.value for a in customer.answers.all()}


def test_a_messy_file_imports_its_good_rows_and_lists_the_bad_by_line(owner):
    data = (
        "First name;Last name;Email;Phone;Birthday;Notes\r\n"
        'Hans;Müller;hans@mueller.example;070-123 45 67;03/04/1980;"first line\r\nsecond"\r\n'
        "\r\n"
        "Bo;Ek;HANS@mueller.example;;;\r\n"
        "Cia;Berg;not-an-email;;;\r\n"
        "Dan;Ek;dan@ek.example;;;;too many\r\n"
        ";;nobody@example.com;;;\r\n"
        "Eva;Lund;eva@lund.example;;31/02/1990;\r\n"
        "Fia;Holm;fia@holm.example;;April 3;\r\n"
    ).encode("cp1252")
    report = run(data, owner)
    assert [(r.line, r.reason.split(" (")[0]) for r in report.rejected] == [
        (5, "a duplicate of line 2"),
        (6, "'not-an-email' is not a valid email address"),
        (7, "7 fields where the header has 6"),
        (8, "no name and no company"),
        (9, "birthday: '31/02/1990' is not a date"),
    ]
    assert (report.rows, report.created, report.exit_status) == (7, 2, 1)
    hans = Customer.objects.get(last_name="Müller")
    assert hans.notes == "first line\r\nsecond"
    assert [e.address for e in hans.emails.all()] == ["hans@mueller.example"]
    assert [p.number for p in hans.phones.all()] == ["+46701234567"]
    assert answers(hans) == {"birthday": "1980-04-03"}
    assert hans.next_due_at is not None and hans.owner == owner
    assert SearchTerm.objects.filter(customer=hans, term="muller").exists()
    fia = Customer.objects.get(first_name="Fia")
    assert answers(fia) == {"birthday": "--04-03"}
    assert Occasion.objects.filter(customer=fia, kind="birthday", year=None).exists()


def test_utf16_with_tabs_imports(owner):
    report = run("Name\tE-mail\nZoë Ång\tzoe@example.com\n".encode("utf-16"), owner)
    assert report.created == 1
    assert Customer.objects.get().full_name == "Zoë Ång"


def test_month_day_order_is_the_users_choice(owner):
    run(b"Name,Birthday\nAl Bo,03/04/1980\n", owner, date_order="MDY")
    assert answers(Customer.objects.get()) == {"birthday": "1980-03-04"}


def test_a_google_contacts_export_imports_names_emails_phones_and_birthdays(owner):
    report = run((FIXTURES / "google_contacts.csv").read_bytes(), owner)
    assert (report.created, report.rejected) == (2, [])
    karin = Customer.objects.get(first_name="Karin")
    assert (karin.last_name, karin.nickname, karin.company, karin.job_title) == (
        "Lindqvist", "Kajsa", "Acme AB", "Buyer",
    )  # fmt: skip
    assert [(e.address, e.label) for e in karin.emails.all()] == [
        ("karin@lindqvist.example", "home"),
        ("karin.lindqvist@acme.example", "work"),
    ]
    assert [(p.number, p.label) for p in karin.phones.all()] == [
        ("+46701112233", "mobile"), ("+46855512345", "work"),
    ]  # fmt: skip
    assert answers(karin) == {"birthday": "1975-09-14"}
    assert [t.name for t in karin.tags.all()] == ["golf"]
    per = Customer.objects.get(first_name="Per")
    assert [e.address for e in per.emails.all()] == ["per@olsson.example", "p.olsson@mail.example"]
    assert answers(per) == {"birthday": "--04-03"}


def test_the_newer_google_export_imports_too(owner):
    report = run((FIXTURES / "google_contacts_new.csv").read_bytes(), owner)
    assert report.created == 1
    lena = Customer.objects.get()
    assert (lena.first_name, lena.last_name, lena.company) == ("Lena", "Ek", "Ek & Co")
    assert [(e.address, e.label) for e in lena.emails.all()] == [("lena@ek.example", "work")]
    assert answers(lena) == {"birthday": "1982-01-30", "wedding_anniversary": "2008-06-21"}


def test_a_hubspot_export_imports(owner):
    report = run((FIXTURES / "hubspot_contacts.csv").read_bytes(), owner)
    assert (report.created, report.rejected) == (2, [])
    maria = Customer.objects.get(external_id="51")
    assert (maria.first_name, maria.company, maria.city, maria.status) == (
        "Maria", "Svensson Bygg", "Uppsala", "customer",
    )  # fmt: skip
    assert {(p.number, p.label) for p in maria.phones.all()} == {
        ("+46876543210", "work"), ("+46709876543", "mobile"),
    }  # fmt: skip
    assert Customer.objects.get(external_id="52").status == "prospect"
    assert "'Contact owner'" in report.warnings[0]


def test_an_apple_vcard_file_imports(owner):
    report = run((FIXTURES / "apple_contacts.vcf").read_bytes(), owner)
    assert (report.created, report.rejected) == (2, [])
    sofia = Customer.objects.get(first_name="Sofia")
    assert (sofia.last_name, sofia.company, sofia.job_title, sofia.city) == (
        "Andersson", "Andersson Design", "Designer", "Stockholm",
    )  # fmt: skip
    assert [(e.address, e.label) for e in sofia.emails.all()] == [
        ("sofia@andersson.example", "work"), ("sofia.a@mail.example", "home"),
    ]  # fmt: skip
    assert [(p.number, p.label) for p in sofia.phones.all()] == [
        ("+46704445566", "mobile"), ("+4682233 44".replace(" ", ""), "home"),
    ]  # fmt: skip
    assert answers(sofia) == {"birthday": "--04-03"}
    assert sofia.notes == "Likes tea, not coffee\nCall after 10"
    johan = Customer.objects.get(first_name="Johan")
    assert [(p.number, p.label) for p in johan.phones.all()] == [("+46707778899", "mobile")]
    assert answers(johan) == {"birthday": "1970-12-24", "wedding_anniversary": "2001-05-19"}


def test_a_dry_run_writes_nothing_and_reports_the_same(owner):
    data = b"Name,Email\nAl Bo,al@bo.example\nCy Do,bad\n"
    dry = run(data, owner, dry_run=True)
    assert Customer.objects.count() == 0 and ImportBatch.objects.count() == 0
    real = run(data, owner)
    assert (dry.created, dry.rejected) == (real.created, real.rejected) == (1, dry.rejected)


@pytest.fixture
def anna(customer):
    """Anna Berg (rep's), anna@berg.example, +46701234567."""
    return customer


DUP = b"First name,Last name,Email,Phone,Company\nAnna,Berg,ANNA@berg.example,,New AB\n"


def test_a_duplicate_is_skipped_by_default(owner, anna):
    report = run(DUP, owner)
    assert (report.created, report.skipped, report.exit_status) == (0, 1, 0)


def test_a_duplicate_is_found_by_phone_too(owner, anna):
    report = run(b"Name,Phone\nA Berg,070-123 45 67\n", owner, on_duplicate="skip")
    assert report.skipped == 1


def test_update_fills_mapped_fields_adds_contact_points_and_undo_puts_them_back(owner, anna):
    data = (
        b"First name,Last name,Email,Phone,Company,Birthday\n"
        b"Anna,Berg,anna@berg.example; new@berg.example,+46 8 123 456 78,New AB,1980-04-03\n"
    )
    report = run(data, owner, on_duplicate="update")
    assert (report.updated, report.created) == (1, 0)
    anna.refresh_from_db()
    assert anna.company == "New AB"
    assert [e.address for e in anna.emails.all()] == ["anna@berg.example", "new@berg.example"]
    assert len(anna.phones.all()) == 2 and answers(anna) == {"birthday": "1980-04-03"}
    assert anna.owner.username == "ruben"  # the owner stays
    undo_import(report.batch, owner)
    anna.refresh_from_db()
    assert anna.company == "Berg Bygg AB"
    assert [e.address for e in anna.emails.all()] == ["anna@berg.example"]
    assert [p.number for p in anna.phones.all()] == ["+46701234567"]
    assert answers(anna) == {} and not Occasion.objects.filter(customer=anna, kind="birthday")


def test_create_makes_a_second_customer(owner, anna):
    report = run(DUP + b"Anna,Berg,anna@berg.example,,Third AB\n", owner, on_duplicate="create")
    assert (report.created, report.rejected) == (2, [])
    assert CustomerEmail.objects.filter(address="anna@berg.example").count() == 3


def test_an_external_id_is_matched_first(owner, anna):
    anna.external_id = "A-1"
    save_customer(anna)
    report = run(b"external_id,first_name,email\nA-1,Annie,other@x.example\n", owner,
                 on_duplicate="update")  # fmt: skip
    assert report.updated == 1
    anna.refresh_from_db()
    assert anna.first_name == "Annie"


def test_a_rep_importing_owns_the_customers_and_cannot_give_them_away(rep, outsider, owner):
    report = run(b"Name,Owner\nAl Bo,\nCy Do,otto\n", rep)
    assert report.created == 1
    assert report.rejected[0].reason == "a rep cannot give a customer to another owner"
    assert Customer.objects.get().owner == rep
    with pytest.raises(PermissionDenied):
        run(b"Name\nAl Bo\n", rep, owner=outsider)


def test_an_owner_may_name_the_owner_by_option_or_column(owner, rep, outsider):
    run(b"Name,Owner\nAl Bo,\nCy Do,otto\n", owner, owner=rep)
    assert {c.first_name: c.owner.username for c in Customer.objects.all()} == {
        "Al": "ruben", "Cy": "otto",
    }  # fmt: skip


def test_a_rep_matches_only_the_customers_they_see(outsider, anna):
    report = run(DUP, outsider)
    assert (report.created, report.skipped) == (1, 0)


def test_undo_deletes_what_the_import_created_within_24_hours(owner):
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        report = run(b"Name,Email\nAl Bo,al@bo.example\nCy Do,cy@do.example\n", owner)
    batch = report.batch
    assert batch.created_count == 2 and len(batch.created_ids()) == 2
    with time_machine.travel(dt.datetime(2025, 3, 2, 11, tzinfo=dt.UTC), tick=False):
        assert undo_import(batch, owner).deleted == 2
    assert Customer.objects.count() == 0
    with pytest.raises(ValidationError, match="undone already"):
        undo_import(batch, owner)


def test_undo_is_refused_after_24_hours_and_to_another_rep(owner, rep, outsider):
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        batch = run(b"Name\nAl Bo\n", rep).batch
    with (
        time_machine.travel(dt.datetime(2025, 3, 1, 13, tzinfo=dt.UTC), tick=False),
        pytest.raises(PermissionDenied),
    ):
        undo_import(batch, outsider)
    with (
        time_machine.travel(dt.datetime(2025, 3, 2, 12, 1, tzinfo=dt.UTC), tick=False),
        pytest.raises(ValidationError, match="24 hours"),
    ):
        undo_import(batch, rep)
    assert Customer.objects.count() == 1


def test_a_mapping_can_fix_labels_and_an_unknown_target_is_refused(owner):
    table = read_table(b"Who,Jobbmejl\nAl Bo,al@bo.example\n")
    mapping = Mapping(columns={"Who": "full_name", "Jobbmejl": "email:work"})
    assert import_customers(table, mapping, by=owner).created == 1
    assert CustomerEmail.objects.get().label == "work"
    with pytest.raises(ValidationError):
        import_customers(table, Mapping(columns={"Who": "owner_id"}), by=owner)


def test_batches_are_written_in_several_transactions(owner):
    rows = "".join(f"P{i} Q,p{i}@x.example\n" for i in range(25))
    table = read_table(f"Name,Email\n{rows}".encode())
    report = import_customers(table, guess_mapping(table.columns), by=owner, batch_size=10)
    assert report.created == 25
    assert sum(b - a + 1 for a, b in report.batch.created) == 25


def test_new_customers_get_the_occasions_and_due_dates_the_bulk_rebuilds_would_give(owner):
    from lifelong.customers.cadence import recompute_due
    from lifelong.occasions.services import sync_occasions

    data = (
        b"Name,Email,Birthday,Anniversary,Status\n"
        b"Al Bo,al@bo.example,1980-04-03,2001-06-09,customer\n"
        b"Cy Do,cy@do.example,--02-29,,prospect\n"
        b"Ed Fu,ed@fu.example,,,former customer\n"
        b"Gi Ha,gi@ha.example,3 April,,\n"
    )
    table = read_table(data)
    mapping = Mapping(
        columns={"Name": "full_name", "Email": "email", "Birthday": "birthday",
                 "Anniversary": "wedding_anniversary", "Status": "status"}
    )  # fmt: skip
    assert import_customers(table, mapping, by=owner).created == 4
    occasions = set(Occasion.objects.values_list("customer__first_name", "kind", "month", "day",
                                                 "year", "derived", "value_rank"))  # fmt: skip
    assert occasions == {
        ("Al", "birthday", 4, 3, 1980, True, 0), ("Al", "wedding_anniversary", 6, 9, 2001, True, 0),
        ("Cy", "birthday", 2, 29, None, True, 0), ("Gi", "birthday", 4, 3, None, True, 0),
    }  # fmt: skip
    due = dict(Customer.objects.values_list("first_name", "next_due_at"))
    assert due["Cy"] is None and due["Al"] is not None and due["Ed"] is not None
    # Written with the customers, they are what the rebuilds from the sources give.
    assert sync_occasions() == 0
    recompute_due()
    assert dict(Customer.objects.values_list("first_name", "next_due_at")) == due


def test_a_row_another_writer_made_a_duplicate_fails_alone_within_a_long_transaction(
    owner, anna, monkeypatch
):
    from lifelong.imports import services

    anna.external_id = "A1"
    anna.save()
    # Several batches in one transaction, and the duplicate lookup blind, as when another
    # writer takes the external id between the lookup and the insert.
    monkeypatch.setattr(services, "TRANSACTION_SECONDS", 60)
    monkeypatch.setattr(services._Import, "_matches", lambda self, rows: {})
    rows = "".join(f"P{i},Q,{'A1' if i == 4 else f'X{i}'}\n" for i in range(7))
    table = read_table(f"First name,Last name,External id\n{rows}".encode())
    report = import_customers(table, guess_mapping(table.columns), by=owner, batch_size=2)
    assert [(r.line, r.reason.split(" (")[0]) for r in report.rejected] == [
        (6, "could not be saved")
    ]
    assert report.created == 6
    assert Customer.objects.filter(external_id__startswith="X").count() == 6
    assert sum(b - a + 1 for a, b in report.batch.created) == 6


def test_the_bulk_settings_are_put_back_after_an_import(owner):
    from django.db import connection

    def pragmas():
        with connection.cursor() as c:
            c.execute("PRAGMA cache_size")
            cache = c.fetchone()[0]
            c.execute("PRAGMA wal_autocheckpoint")
            return cache, c.fetchone()[0]

    if connection.vendor != "sqlite":
        pytest.skip("SQLite connection settings")
    before = pragmas()
    assert run(b"Name\nAl Bo\n", owner).created == 1
    assert pragmas() == before


MESSY = (
    "First name;Last name;Email;Phone;Birthday;Owner\r\n"
    "Hans;Müller;hans@mueller.example;070-123 45 67;03/04/1980;\r\n"
    "Bo;Ek;HANS@mueller.example;;;\r\n"
    "Cia;Berg;not-an-email;12;;nobody\r\n"
    "Dan;Ek;dan@ek.example;;;;too many\r\n"
    'Eva;"Lund\r\nLund";eva@lund.example;;31/02/1990;\r\n'
    "Fia;Holm;fia@holm.example;+46 70 765 43 21;April 3;ruben\r\n"
).encode()


@pytest.mark.parametrize("dry_run", [True, False])
def test_checking_rows_in_a_second_process_gives_the_same_import(
    owner, rep, monkeypatch, tmp_path, dry_run
):
    from lifelong.imports import services

    def outcome(parallel: bool):
        table = read_table(MESSY)
        report = import_customers(
            table, guess_mapping(table.columns), by=owner, dry_run=dry_run, parallel=parallel,
            batch_size=2,
        )  # fmt: skip
        made = sorted(
            (c.last_name, c.owner.username, tuple(p.number for p in c.phones.all()))
            for c in Customer.objects.all()
        )
        Customer.objects.all().delete()
        return [str(r) for r in report.rejected], report.rows, report.created, made

    serial = outcome(parallel=False)
    monkeypatch.setattr(services, "PARALLEL_CHARS", 0)
    check_all = services._Import._check_all

    def in_child(self, results):
        (tmp_path / "pid").write_text(str(os.getpid()))
        check_all(self, results)

    monkeypatch.setattr(services._Import, "_check_all", in_child)
    assert outcome(parallel=True) == serial
    assert [r.split(":")[0] for r in serial[0]] == ["line 3", "line 4", "line 5", "line 6"]
    assert "no active user is called 'nobody'" in serial[0][1]
    assert serial[1:3] == (6, 2)
    if not dry_run:
        assert serial[3] == [
            ("Holm", "ruben", ("+46707654321",)),
            ("Müller", "olivia", ("+46701234567",)),
        ]
    assert int((tmp_path / "pid").read_text()) != os.getpid()  # checked in a child


def test_a_failure_in_the_checking_process_stops_the_import(owner, monkeypatch):
    from lifelong.imports import services

    monkeypatch.setattr(services, "PARALLEL_CHARS", 0)

    def broken(self, row):
        raise KeyError("boom")

    monkeypatch.setattr(services._Import, "_check", broken)
    table = read_table(MESSY)
    with pytest.raises(RuntimeError, match="checking rows failed: KeyError"):
        import_customers(table, guess_mapping(table.columns), by=owner, parallel=True)
    assert not Customer.objects.exists()


def test_a_checking_process_that_dies_stops_the_import(owner, monkeypatch):
    from lifelong.imports import services

    monkeypatch.setattr(services, "PARALLEL_CHARS", 0)
    monkeypatch.setattr(services._Import, "_check", lambda self, row: os._exit(3))
    table = read_table(MESSY)
    with pytest.raises(RuntimeError, match="the process checking rows stopped"):
        import_customers(table, guess_mapping(table.columns), by=owner, parallel=True)
    assert not Customer.objects.exists()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="+0123456789 -()", max_size=18) | st.sampled_from(
    ["+46 70 123 45 67", "070-123 45 67", "+460701234567", "+1 202 555 0143", "+39 06 1234 5678",
     "0046701234567", "  +46701234567  ", "+", "12"]
))  # fmt: skip
def test_the_importers_phone_numbers_are_what_the_customer_form_would_store(raw):
    import phonenumbers

    from lifelong.customers.services import normalise_phone
    from lifelong.imports.services import phone_parts

    try:
        expected = normalise_phone(raw, "SE")
    except ValidationError as e:
        assert phone_parts(raw, "SE") == e.messages[0]
    else:
        e164, national = phone_parts(raw, "SE")
        assert e164 == expected
        assert national == str(phonenumbers.parse(expected).national_number)  # search term
