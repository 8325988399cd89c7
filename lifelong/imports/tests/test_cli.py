"""`lifelong import customers` and `lifelong export customers --format vcard`, end to end."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lifelong.customers.models import Customer, ProfileQuestion
from lifelong.customers.services import save_customer, set_answer
from lifelong.imports.models import ImportBatch

FIXTURES = Path(__file__).parent / "fixtures"


def import_file(path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", "customers", str(path), "--no-progress", *args, stdout=out,
                     stderr=err)  # fmt: skip
    except CommandError as e:
        return e.returncode, out.getvalue(), err.getvalue() + str(e)
    return 0, out.getvalue(), err.getvalue()


def test_exit_0_when_every_row_is_imported(owner):
    status, out, _ = import_file(FIXTURES / "google_contacts.csv")
    assert status == 0 and "2 created" in out
    assert ImportBatch.objects.get().file_name == "google_contacts.csv"


def test_exit_1_with_each_rejected_row_by_line(owner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"Name,Email\nAl Bo,al@bo.example\nCy Do,nope\n")
    status, out, err = import_file(path)
    assert status == 1
    assert "line 3: 'nope' is not a valid email address" in err
    assert "1 created" in out


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\x03", b"Name\n"])
def test_exit_2_for_an_unusable_file(owner, tmp_path, content):
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    status, _, _ = (
        import_file(path) if content != b"Name\n" else import_file(path, "--owner", "nobody")
    )
    assert status == 2
    assert Customer.objects.count() == 0


def test_a_missing_file_and_a_bad_mapping_are_unusable(owner, tmp_path):
    assert import_file(tmp_path / "missing.csv")[0] == 2
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"Name" = "password"\n')
    (tmp_path / "c.csv").write_bytes(b"Name\nAl Bo\n")
    status, _, err = import_file(tmp_path / "c.csv", "--mapping", str(mapping))
    assert status == 2 and "password" in err


def test_a_mapping_file_and_options(owner, rep, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text('date_order = "MDY"\n[columns]\n"Vem" = "full_name"\n"Född" = "birthday"\n')
    (tmp_path / "c.csv").write_text("Vem;Född\nAl Bo;03/04/1980\n", encoding="utf-8")
    status, _, _ = import_file(tmp_path / "c.csv", "--mapping", str(mapping), "--owner", "ruben")
    assert status == 0
    al = Customer.objects.get()
    assert al.owner == rep and al.answers.get().value == "1980-03-04"


def test_dry_run_writes_nothing(owner):
    status, out, _ = import_file(FIXTURES / "hubspot_contacts.csv", "--dry-run")
    assert status == 0 and out.startswith("Dry run")
    assert Customer.objects.count() == 0 and ImportBatch.objects.count() == 0


def _export(tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "export.out"
    call_command("export", "customers", "--output", str(path), "--no-progress", *args,
                 stderr=io.StringIO())  # fmt: skip
    return path


def _snapshot() -> list[tuple]:
    return sorted(
        (c.first_name, c.last_name, c.company, c.city, c.notes,
         tuple(sorted(e.address for e in c.emails.all())),
         tuple(sorted(p.number for p in c.phones.all())),
         tuple(sorted(t.name for t in c.tags.all())))
        for c in Customer.objects.all()
    )  # fmt: skip


@pytest.fixture
def people(owner):
    save_customer(
        Customer(owner=owner, first_name="Åsa", last_name="Ström, Jr.", company="A; B",
                 city="Malmö", notes="two\nlines, \"quoted\""),
        emails=["asa@strom.example", "asa@work.example"], phones=["+46701234567"],
        tags=["vip", "golf"],
    )  # fmt: skip
    c = save_customer(Customer(owner=owner, first_name="Bo", company="Bo AB"), emails=[])
    set_answer(c, ProfileQuestion.objects.get(key="birthday"), "--04-03", by=owner)


@pytest.mark.parametrize("fmt", ["csv", "vcard"])
def test_an_export_imports_back_the_same_customers(people, tmp_path, fmt):
    before = _snapshot()
    path = _export(tmp_path, "--format", fmt)
    Customer.objects.all().delete()
    status, _, err = import_file(path)
    assert status == 0, err
    assert _snapshot() == before
    if fmt == "vcard":
        bo = Customer.objects.get(first_name="Bo")
        assert bo.answers.get().value == "--04-03"


def test_a_vcard_3_export(people, tmp_path):
    path = _export(tmp_path, "--format", "vcard", "--vcard-version", "3.0")
    text = path.read_bytes().decode()
    assert text.count("BEGIN:VCARD") == 2 and "VERSION:3.0\r\n" in text
    assert "N:Ström\\, Jr.;Åsa;;;\r\n" in text and "BDAY:--0403\r\n" in text
