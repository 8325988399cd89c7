"""The per-customer JSON export: complete by construction, the content, who may."""

import json

import pytest
from django.urls import reverse

from lifelong.audit.models import AuditEvent
from lifelong.customers.duplicates import customer_relations
from lifelong.privacy.export import EXCLUDED, export_customer
from lifelong.privacy.tests.helpers import EMAIL, FIRST, LAST, OLD_EMAIL, make_marked_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def marked(owner, rep):
    return make_marked_customer(owner, rep)


def test_every_relation_to_customer_is_exported_or_excluded_with_a_reason(customer):
    data = export_customer(customer)
    relations = customer_relations()
    for label in relations:
        if label in EXCLUDED:
            assert EXCLUDED[label].strip(), f"{label} is excluded without a reason"
            assert label not in data["related"]
        else:
            assert label in data["related"], f"{label} is neither exported nor excluded"
    assert set(EXCLUDED) <= set(relations), "an exclusion names no relation to Customer"


def test_the_marked_customer_has_a_row_in_every_exported_relation(marked):
    """The marked customer of helpers.py covers every relation (add a row there for a new
    one), so the content tests below see every kind of record."""
    data = export_customer(marked.customer)
    empty = [label for label, rows in data["related"].items() if not rows]
    # Customers this one referred point at them through referred_by: Pia.
    assert empty == []


def test_the_export_holds_what_we_know(marked):
    data = json.loads(json.dumps(export_customer(marked.customer)))
    assert data["format"] == "lifelong-privacy-export"
    own = data["customer"]
    assert (own["first_name"], own["last_name"], own["nickname"]) == (FIRST, LAST, "Zorbie")
    assert own["tags"] == ["zorblax-fan"]
    assert own["owner_label"] == "Ruben Rep"
    related = data["related"]
    assert [e["address"] for e in related["customers.CustomerEmail.customer"]] == [EMAIL]
    assert [p["number"] for p in related["customers.CustomerPhone.customer"]] == ["+46709998877"]
    answers = {a["question_label"]: a["value"] for a in related["customers.ProfileAnswer.customer"]}
    assert "1971-08-19" in answers.values()
    assert related["customers.Relative.customer"][0]["name"] == f"Mirabel {LAST}"
    assert any(t["summary"] == f"Called {FIRST} {LAST}" for t in related["touches.Touch.customer"])
    (purchase,) = related["commerce.Purchase.customer"]
    assert purchase["total"] == "120.00"
    (line,) = related["commerce.PurchaseLine.customer"]
    assert line["product_version_label"].startswith("Widget")
    assert related["promises.Promise.customer"][0]["what"] == f"Send {FIRST} the brochure"
    assert [r["referrer"] for r in related["referrals.Referral.referred"]] == [marked.referrer.pk]
    assert [r["referred"] for r in related["referrals.Referral.referrer"]] == [marked.prospect.pk]
    assert related["surveys.Response.customer"][0]["comment"].startswith("Great service")
    assert related["surveys.Invitation.customer"][0]["survey_label"] == "NPS"
    messages = related["outreach.Message.customer"]
    assert {m["subject"] for m in messages} == {
        f"News for {FIRST}", f"More for {FIRST}", "Happy birthday",
    }  # fmt: skip
    assert messages[0]["body_text"] and "to_address" in messages[0]
    assert related["extras.ExtraGiven.customer"][0]["note"] == f"For {FIRST}"
    assert related["events.Invitation.customer"][0]["event_label"] == "Open house"
    consent = related["privacy.ConsentChange.customer"]
    assert [(c["given"], c["how"]) for c in consent] == [(True, "import")]
    assert related["value.ValueSnapshot.customer"][0]["tier"] == "B"
    assert related["value.RiskScore.customer"][0]["action"] == f"Call {FIRST}"
    # Rows hanging off their rows: the calendar mark of an occasion.
    assert data["children"]["occasions.OccasionMark.occasion"][0]["status"] == "done"
    # And what names them without a foreign key: the import batch that updated them.
    (change,) = data["other_records"]["imports.ImportBatch.updated"]
    assert change["changed"]["fields"]["notes"][1] == f"Met {FIRST} at the fair"
    assert "audit.AuditEvent.customer_id" in data["other_records"]
    # Never another person's secrets: a user is named, their password is not.
    assert "password" not in json.dumps(data)
    assert OLD_EMAIL in json.dumps(data)


def test_the_download_is_an_attachment_and_audited(rep_client, customer):
    response = rep_client.get(reverse("privacy:export", args=[customer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="customer-{customer.pk}.json"'
    data = json.loads(response.content)
    assert data["customer"]["first_name"] == "Anna"
    event = AuditEvent.objects.get(action="export")
    assert (event.customer_id, event.target, event.actor_name) == (
        customer.pk, "privacy export", "ruben",
    )  # fmt: skip


def test_owners_and_managers_may_download_anyone(owner_client, manager, customer):
    from conftest import client_for

    assert owner_client.get(reverse("privacy:export", args=[customer.pk])).status_code == 200
    manager_client = client_for(manager)
    assert manager_client.get(reverse("privacy:export", args=[customer.pk])).status_code == 200


def test_an_outsider_gets_404_and_nothing_is_audited(outsider_client, customer, client):
    url = reverse("privacy:export", args=[customer.pk])
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.get(reverse("privacy:export", args=[999999])).status_code == 404
    assert client.get(url).status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_customer_page_has_the_download_button(rep_client, customer):
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Download everything we hold (JSON)" in page
    assert reverse("privacy:export", args=[customer.pk]) in page
    assert reverse("privacy:erase", args=[customer.pk]) not in page  # a rep cannot erase


def test_cli_export_to_a_file_and_to_stdout(customer, tmp_path, capsys):
    from django.core.management import call_command

    out = tmp_path / "anna.json"
    call_command("privacy", "export", str(customer.pk), "--output", str(out))
    assert json.loads(out.read_text())["customer"]["last_name"] == "Berg"
    call_command("privacy", "export", str(customer.pk))
    assert json.loads(capsys.readouterr().out)["customer_id"] == customer.pk
    assert AuditEvent.objects.filter(action="export", via="cli").count() == 2


def test_cli_export_of_nobody_says_so(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="no customer 424242"):
        call_command("privacy", "export", "424242")
    with pytest.raises(CommandError, match="not a customer id"):
        call_command("privacy", "export", "abc")
