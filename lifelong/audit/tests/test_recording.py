"""Each wired path records who did what to which customer, and never the data itself."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from conftest import bearer
from lifelong.audit.log import record, record_request
from lifelong.audit.models import AuditEvent
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

pytestmark = pytest.mark.django_db

# Unusual enough that finding them in an audit row can only mean the data leaked in.
SECRET_FIRST, SECRET_LAST = "Zyxwvuta", "Qorblemann"
SECRET_EMAIL = "zyx.qorble@leak.example"
SECRET_PHONE = "+46709998877"
SECRET_RELATIVE = "Pemberdash"
SECRET_TOUCH = "Discussed the Frobnicator order"


def events(**filters: object) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("id")
        .values_list("actor_name", "action", "customer_id", "target", "via")
    )


@pytest.fixture
def secret(rep) -> Customer:
    return save_customer(
        Customer(owner=rep, first_name=SECRET_FIRST, last_name=SECRET_LAST, company="Leak AB"),
        emails=[SECRET_EMAIL],
        phones=[SECRET_PHONE],
    )


def test_record_request_takes_the_user_channel_and_address(rep):
    request = RequestFactory().get("/api/v1/customers/5", REMOTE_ADDR="192.0.2.7")
    request.user = rep
    record_request(request, "view", customer_id=5, target="customer")
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_name, event.customer_id) == (rep, "ruben", 5)
    assert (event.via, event.ip) == ("api", "192.0.2.7")


def test_a_web_request_is_via_web_and_nobody_is_the_system(rep):
    request = RequestFactory().get("/customers/5/")
    request.user = rep
    record_request(request, "view", customer_id=5)
    record(None, "export", target="export all", via="cli")
    assert events() == [("ruben", "view", 5, "", "web"), ("", "export", None, "export all", "cli")]


def test_viewing_a_customer_page_is_recorded(rep_client, customer):
    assert rep_client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    assert events() == [("ruben", "view", customer.pk, "customer", "web")]


def test_a_page_refused_records_nothing(outsider_client, customer):
    response = outsider_client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 404
    assert events() == []


def test_creating_and_changing_a_customer_on_the_web_is_recorded(rep_client, customer):
    from lifelong.customers.tests.test_views_customer_form import form_data

    assert rep_client.post(reverse("customers:new"), form_data()).status_code == 302
    new = Customer.objects.get(first_name="Nils")
    edit = reverse("customers:edit", args=[customer.pk])
    assert rep_client.post(edit, form_data(first_name="Anna", last_name="Berg")).status_code == 302
    assert rep_client.post(reverse("customers:archive", args=[customer.pk])).status_code == 302
    assert events() == [
        ("ruben", "create", new.pk, "customer", "web"),
        ("ruben", "change", customer.pk, "customer", "web"),
        ("ruben", "change", customer.pk, "customer archived", "web"),
    ]


def test_a_form_with_errors_records_nothing(rep_client, customer):
    from lifelong.customers.tests.test_views_customer_form import form_data

    bad = form_data(first_name="", last_name="", company="")
    assert rep_client.post(reverse("customers:edit", args=[customer.pk]), bad).status_code == 200
    assert events() == []


def test_the_api_records_view_create_change_and_relatives(rep, customer):
    api = Client(headers=bearer(rep))
    url = f"/api/v1/customers/{customer.pk}"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"nickname": "Annie"}, content_type="application/json").status_code == 200
    made = api.post("/api/v1/customers", {"first_name": "Per"}, content_type="application/json")
    assert made.status_code == 201
    relative = {"name": "Lo", "relationship": "child"}
    created = api.post(f"{url}/relatives", relative, content_type="application/json")
    assert created.status_code == 201
    assert api.delete(f"{url}/relatives/{created.json()['id']}").status_code == 204
    assert events() == [
        ("ruben", "view", customer.pk, "customer", "api"),
        ("ruben", "change", customer.pk, "customer", "api"),
        ("ruben", "create", made.json()["id"], "customer", "api"),
        ("ruben", "create", customer.pk, "customer.relatives", "api"),
        ("ruben", "delete", customer.pk, "customer.relatives", "api"),
    ]


def test_an_invalid_api_change_records_nothing(rep, customer):
    api = Client(headers=bearer(rep))
    bad = {"emails": [{"address": "not an address"}]}
    response = api.patch(f"/api/v1/customers/{customer.pk}", bad, content_type="application/json")
    assert response.status_code == 422
    assert events() == []


def test_touches_and_purchases_are_recorded(rep_client, customer):
    touch = {"channel": "call", "direction": "outbound", "summary": "Hello", "outcome": ""}
    touch["occurred_at"] = "2025-03-14T10:15"
    assert rep_client.post(reverse("touches:log", args=[customer.pk]), touch).status_code == 302
    purchase = {"date": "2025-03-10", "amount": "100", "currency": "EUR", "channel": "store"}
    purchase |= {"product_version": "", "quantity": "1"}
    data = {f"purchase-{k}": v for k, v in purchase.items()}
    assert rep_client.post(reverse("commerce:record", args=[customer.pk]), data).status_code == 302
    assert events() == [
        ("ruben", "create", customer.pk, "customer.touches", "web"),
        ("ruben", "create", customer.pk, "customer.purchases", "web"),
    ]


def test_cli_exports_are_recorded(customer, owner, tmp_path: Path):
    err = io.StringIO()
    call_command("export", "customers", "--format", "csv", stdout=io.StringIO(), stderr=err)
    call_command(
        "export", "customers", "--format", "vcard", "--user", "olivia",
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    out = tmp_path / "all.json"
    call_command("export", "all", "--output", str(out), "--no-progress", stderr=err)
    assert events() == [
        ("", "export", None, "customers csv export", "cli"),
        ("olivia", "export", None, "customers vcard export", "cli"),
        ("", "export", None, "export all", "cli"),
    ]
    # The export all file does not carry the audit log (docs/audit.md).
    models = [block["model"] for block in json.loads(out.read_text())["models"]]
    assert "audit.auditevent" not in models


def test_imports_and_their_undo_are_recorded_once_each(owner, rep, tmp_path: Path):
    from lifelong.imports.mapping import guess_mapping
    from lifelong.imports.reading import read_table
    from lifelong.imports.services import import_customers, undo_import

    customers = tmp_path / "c.csv"
    customers.write_text(
        "Name,Email,Customer number\nAl Bo,al@bo.example,7\nCy Do,cy@do.example,8\n"
    )
    call_command("import", "customers", str(customers), "--no-progress", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    first = AuditEvent.objects.get().target
    table = read_table(b"Name\nEd Fo\n")
    import_customers(table, guess_mapping(table.columns), by=rep, dry_run=True)
    assert AuditEvent.objects.count() == 1  # a dry run wrote nothing, and records nothing
    report = import_customers(table, guess_mapping(table.columns), by=rep)
    undo_import(report.batch, rep)
    purchases = tmp_path / "p.csv"
    purchases.write_text("customer,date,amount\n7,2025-01-02,10.00\n")
    call_command("import", "purchases", str(purchases), "--no-progress", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    number = report.batch.pk
    assert events() == [
        ("olivia", "create", None, first, "cli"),
        ("ruben", "create", None, f"customers import #{number}", "web"),
        ("ruben", "delete", None, f"customers import #{number} undone", "web"),
        ("", "create", None, "purchases import", "cli"),
    ]
    assert first == f"customers import #{number - 1}"


def test_import_all_is_recorded(customer, tmp_path: Path):
    out = tmp_path / "all.json"
    call_command("export", "all", "--output", str(out), "--no-progress", stderr=io.StringIO())
    call_command("import", "all", str(out), "--force", "--no-progress", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    assert events()[-2:] == [("", "export", None, "export all", "cli"),
                             ("", "create", None, "import all", "cli")]  # fmt: skip


def test_no_personal_data_reaches_the_audit_log(rep, rep_client, secret, tmp_path):
    from lifelong.customers.tests.test_views_customer_form import form_data

    api = Client(headers=bearer(rep))
    url = f"/api/v1/customers/{secret.pk}"
    rep_client.get(reverse("customers:detail", args=[secret.pk]))
    edit = form_data(first_name=SECRET_FIRST, last_name=SECRET_LAST, email_0=SECRET_EMAIL)
    rep_client.post(reverse("customers:edit", args=[secret.pk]), edit)
    api.get(url)
    api.patch(url, {"notes": f"{SECRET_FIRST} likes sailing"}, content_type="application/json")
    relative = {"name": SECRET_RELATIVE, "relationship": "child"}
    api.post(f"{url}/relatives", relative, content_type="application/json")
    touch = {"channel": "call", "direction": "outbound", "summary": SECRET_TOUCH}
    api.post(f"{url}/touches", touch, content_type="application/json")
    call_command("export", "customers", "--format", "json", stdout=io.StringIO())
    call_command("export", "customers", "--format", "vcard", stdout=io.StringIO())
    assert AuditEvent.objects.count() >= 8
    secrets = [SECRET_FIRST, SECRET_LAST, SECRET_EMAIL, SECRET_PHONE, "70999", SECRET_RELATIVE]
    secrets += [SECRET_TOUCH, "Leak", "sailing"]
    for row in AuditEvent.objects.values_list():
        text = " ".join(str(value) for value in row).lower()
        for s in secrets:
            assert s.lower() not in text, (s, row)
