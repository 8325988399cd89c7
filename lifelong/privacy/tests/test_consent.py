"""The consent history: one row for every change of marketing consent, from each path."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from conftest import bearer
from lifelong.customers.duplicates import merge_customers
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.imports.mapping import guess_mapping
from lifelong.imports.reading import read_table
from lifelong.imports.services import import_customers, undo_import
from lifelong.outreach import compliance
from lifelong.privacy.consent import consent_history, record_consent_change
from lifelong.privacy.models import ConsentChange
from lifelong.privacy.tests.helpers import make_marked_customer

pytestmark = pytest.mark.django_db


def history(customer: Customer) -> list[tuple]:
    """Oldest first: (given, how, actor's username or None, source)."""
    rows = ConsentChange.objects.filter(customer=customer).order_by("at", "id")
    return [(c.given, c.how, c.actor.username if c.actor else None, c.source) for c in rows]


FORM = {
    "first_name": "Nils", "last_name": "Holm", "company": "", "status": "customer",
    "email_0": "nils@holm.example", "email_label_0": "work", "email_1": "",
    "email_label_1": "home", "phone_0": "", "phone_label_0": "mobile", "phone_1": "",
    "phone_label_1": "mobile", "tags": "",
}  # fmt: skip


def test_the_form_records_given_and_withdrawn_with_who(rep_client, rep):
    new = {**FORM, "email_consent": "on", "email_consent_source": "Signed form"}
    assert rep_client.post(reverse("customers:new"), new).status_code == 302
    nils = Customer.objects.get(first_name="Nils")
    edit = reverse("customers:edit", args=[nils.pk])
    rep_client.post(edit, {**FORM, "email_consent_source": "Said no on a call"})
    rep_client.post(edit, {**FORM, "notes": "no consent change here"})
    assert history(nils) == [
        (True, "form", "ruben", "Signed form"),
        (False, "form", "ruben", "Said no on a call"),
    ]


def test_a_new_customer_without_consent_has_no_history(customer):
    assert history(customer) == []


def test_the_api_records_its_changes(rep):
    client = Client()
    response = client.post(
        "/api/v1/customers",
        {"first_name": "Ada", "email_consent": True, "email_consent_source": "web sign-up"},
        content_type="application/json",
        headers=bearer(rep),
    )
    assert response.status_code == 201, response.content
    ada = Customer.objects.get(first_name="Ada")
    client.patch(
        f"/api/v1/customers/{ada.pk}",
        {"email_consent": False},
        content_type="application/json",
        headers=bearer(rep),
    )
    assert history(ada) == [
        (True, "api", "ruben", "web sign-up"),
        (False, "api", "ruben", "web sign-up"),
    ]


def _import(data: bytes, by, **kwargs):
    table = read_table(data)
    return import_customers(table, guess_mapping(table.columns, table.format), by=by, **kwargs)


def test_imports_record_new_consent_updates_and_undo(owner):
    _import(
        b"Name,Email,Marketing consent\nIda Ek,ida@ek.example,yes\nBo Ek,bo@ek.example,no\n", owner
    )
    ida, bo = Customer.objects.get(first_name="Ida"), Customer.objects.get(first_name="Bo")
    assert history(ida) == [(True, "import", "olivia", "imported from a file")]
    assert history(bo) == []
    report = _import(
        b"Name,Email,Marketing consent\nIda Ek,ida@ek.example,no\n", owner, on_duplicate="update"
    )
    undo_import(report.batch, owner)
    assert [h[:3] for h in history(ida)] == [
        (True, "import", "olivia"), (False, "import", "olivia"), (True, "import", "olivia"),
    ]  # fmt: skip


def test_the_unsubscribe_link_and_the_preference_page(customer, monkeypatch):
    monkeypatch.setenv("LIFELONG_BASE_URL", "https://crm.example.test")
    Customer.objects.filter(pk=customer.pk).update(email_consent=True)
    token = compliance.make_token(customer.pk, "anna@berg.example")
    client = Client()
    assert client.post(reverse("outreach:unsubscribe", args=[token])).status_code == 200
    Customer.objects.filter(pk=customer.pk).update(email_consent=True)
    assert client.post(reverse("outreach:preferences", args=[token])).status_code == 200
    client.post(reverse("outreach:preferences", args=[token]))  # already withdrawn: no row
    assert history(customer) == [
        (False, "unsubscribe link", None, compliance.UNSUBSCRIBED_SOURCE),
        (False, "preference page", None, compliance.UNSUBSCRIBED_SOURCE),
    ]


def test_a_merge_that_takes_over_consent_records_it(customer, owner, rep):
    other = save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Berg", email_consent=True,
                 email_consent_source="Fair 2025"),
    )  # fmt: skip
    merge_customers(customer, other, by=owner)
    # The other record's history comes along, then the kept record takes the consent over.
    assert history(customer) == [
        (True, "form", None, "Fair 2025"),
        (True, "merge", "olivia", "Fair 2025"),
    ]


def test_the_demo_records_its_consents(db):
    from lifelong import demo

    demo.generate(12, seed=3, today=dt.date(2026, 3, 15), purchases=False, progress=False)
    consenting = Customer.objects.filter(email_consent=True)
    assert consenting.exists()
    changes = ConsentChange.objects.filter(how="demo")
    assert set(changes.values_list("customer_id", flat=True)) == set(
        consenting.values_list("pk", flat=True)
    )
    for c in consenting:
        assert changes.get(customer=c).at == c.email_consent_at


def test_the_backfill_starts_the_history_from_the_customer_rows(customer):
    Customer.objects.filter(pk=customer.pk).update(
        email_consent=True, email_consent_source="Old form"
    )
    migration = importlib.import_module("lifelong.privacy.migrations.0002_consent_backfill")
    migration.backfill(apps, None)
    assert history(customer) == [(True, "earlier", None, "Old form")]


def test_the_customer_page_shows_the_history(rep_client, customer, rep):
    record_consent_change(customer.pk, True, how="form", actor=rep, source="Signed at lunch")
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Marketing consent" in page
    assert "Given" in page and "Signed at lunch" in page and "Customer form" in page


def test_an_unknown_channel_is_refused(customer):
    with pytest.raises(ValueError, match="Unknown consent channel"):
        record_consent_change(customer.pk, True, how="carrier pigeon")


def test_exported_and_erased_with_the_customer(owner, rep):
    from lifelong.privacy.erasure import erase_customer
    from lifelong.privacy.export import export_customer

    marked = make_marked_customer(owner, rep)
    rows = export_customer(marked.customer)["related"]["privacy.ConsentChange.customer"]
    assert len(rows) == consent_history(marked.customer.pk).count() == 1
    erase_customer(marked.customer, by=owner)
    assert not ConsentChange.objects.filter(customer=marked.customer).exists()
