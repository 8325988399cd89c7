"""`lifelong export customers`."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import save_customer, set_answer


def export(*args: str) -> str:
    out = StringIO()
    call_command("export", "customers", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def others(owner, outsider):
    """A customer of the outsider, referred by a customer of the owner."""
    mine = save_customer(Customer(owner=owner, company="Ek Trä AB"), phones=["070-765 43 21"])
    return save_customer(
        Customer(owner=outsider, first_name="Åsa", last_name="Ström", referred_by=mine),
        emails=["asa@example.com", "asa.strom@example.org"],
    )


def test_json_has_every_field_and_the_related_rows(customer, others, owner):
    Relative.objects.create(
        customer=customer, name="Sven", relationship="child", birthday="--05-17"
    )
    set_answer(customer, ProfileQuestion.objects.get(key="hobbies"), "Sailing", by=owner)
    records = json.loads(export("--format", "json"))
    assert [r["id"] for r in records] == sorted(Customer.objects.values_list("id", flat=True))
    anna = next(r for r in records if r["id"] == customer.pk)
    assert anna["first_name"] == "Anna" and anna["last_name"] == "Berg"
    assert anna["status"] == "customer" and anna["owner"] == "ruben"
    assert anna["emails"] == [{"address": "anna@berg.example", "label": "home"}]
    assert anna["phones"] == [{"number": "+46701234567", "label": "mobile"}]
    assert anna["tags"] == ["vip"]
    assert anna["relatives"] == [
        {"name": "Sven", "relationship": "child", "birthday": "--05-17", "notes": ""}
    ]
    assert anna["profile"] == {"hobbies": "Sailing"}
    model_fields = {f.attname for f in Customer._meta.concrete_fields} - {"sort_name"}
    assert model_fields - {"owner_id", "referred_by_id"} <= anna.keys()
    asa = next(r for r in records if r["id"] == others.pk)
    assert asa["referred_by"] == others.referred_by_id


def test_json_for_a_rep_holds_only_their_customers(customer, others, rep):
    records = json.loads(export("--format", "json", "--user", rep.username))
    assert [r["id"] for r in records] == [customer.pk]


def test_json_of_nothing_is_an_empty_array(db):
    assert json.loads(export("--format", "json")) == []


def test_csv_joins_emails_and_phones(customer, others, tmp_path):
    path = tmp_path / "customers.csv"
    export("--format", "csv", "--output", str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert len(rows) == 3
    asa = next(r for r in rows if r["id"] == str(others.pk))
    assert asa["emails"] == "asa@example.com; asa.strom@example.org"
    assert asa["last_name"] == "Ström"
    assert asa["email_consent"] == "false"
    ek = next(r for r in rows if r["company"] == "Ek Trä AB")
    assert ek["phones"] == "+46707654321"


def test_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        export("--user", "nobody")


def test_export_needs_a_subcommand(db):
    with pytest.raises(CommandError):
        call_command("export", stdout=StringIO(), stderr=StringIO())
