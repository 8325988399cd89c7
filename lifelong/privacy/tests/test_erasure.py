"""Erasure: a policy for every relation, what goes and what stays, and the scan of every
table of the database for any trace of the erased person."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from lifelong.audit.models import AuditEvent
from lifelong.commerce.models import Purchase, PurchaseLine
from lifelong.customers.models import (
    Customer,
    CustomerEmail,
    ProfileAnswer,
    Relative,
    SearchTerm,
    Tag,
)
from lifelong.events.models import Invitation as EventInvitation
from lifelong.occasions.models import Occasion, OccasionMark
from lifelong.outreach.access import messages_visible_to
from lifelong.outreach.compliance import address_hash
from lifelong.outreach.models import Message, MessageStatus, Suppression
from lifelong.privacy import erasure
from lifelong.privacy.erasure import AlreadyErased, erase_customer
from lifelong.privacy.models import ConsentChange, RetentionReview
from lifelong.privacy.tests.helpers import (
    BIRTHDAY_FORMS,
    EMAIL,
    FIRST,
    LAST,
    OLD_EMAIL,
    PHONE_FORMS,
    RELATIVE,
    make_marked_customer,
)
from lifelong.promises.models import Promise
from lifelong.referrals.models import Referral
from lifelong.surveys.models import Invitation as SurveyInvitation
from lifelong.surveys.models import Response
from lifelong.touches.models import Touch
from lifelong.value.records import ValueSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def marked(owner, rep):
    return make_marked_customer(owner, rep)


def test_every_relation_to_customer_has_an_erasure_policy():
    """A model added later with a foreign key to Customer needs a policy: register one
    with lifelong.privacy.erasure.register_erasure(label_or_model, "delete" | "keep" |
    callable). Until then erase_customer refuses to run."""
    assert erasure.unhandled_relations() == []


def test_every_customer_field_is_cleared_or_kept_on_purpose():
    assert erasure.unhandled_fields() == []


def test_erasure_refuses_while_a_relation_has_no_policy(customer, monkeypatch):
    monkeypatch.delitem(erasure.ERASURE_POLICIES, "touches.Touch.customer")
    with pytest.raises(erasure.ErasureNotSupported, match=r"touches\.Touch\.customer"):
        erase_customer(customer, by=None)
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_a_model_stands_for_each_of_its_relations_to_customer(monkeypatch):
    monkeypatch.setattr(erasure, "ERASURE_POLICIES", dict(erasure.ERASURE_POLICIES))
    erasure.register_erasure(Referral, erasure.DELETE)
    policies = erasure.ERASURE_POLICIES
    assert policies["referrals.Referral.referrer"] == policies["referrals.Referral.referred"]
    assert policies["referrals.Referral.referred"] == "delete"
    with pytest.raises(ValueError, match="no relation to Customer"):
        erasure.register_erasure(Tag, erasure.KEEP)


def test_a_policy_is_delete_keep_or_a_callable():
    with pytest.raises(ValueError, match="delete"):
        erasure.register_erasure("touches.Touch.customer", "shred")


def test_erasure_removes_the_person_and_keeps_the_figures(marked, owner):
    c = marked.customer
    rsvp_token_before = EventInvitation.objects.get(customer=c).token
    assert SurveyInvitation.objects.get(customer=c).is_open()
    report = erase_customer(c, by=owner)
    c.refresh_from_db()
    assert c.erased_at == report.erased_at
    assert (c.first_name, c.last_name, c.nickname, c.company, c.job_title) == ("",) * 5
    assert (c.street, c.city, c.how_we_met, c.notes, c.sort_name) == ("",) * 5
    assert c.external_id is None and not c.email_consent and c.email_consent_source == ""
    assert c.display_name == f"Customer #{c.pk}"
    # Gone.
    for model in (CustomerEmail, ProfileAnswer, Relative, SearchTerm, Occasion, ConsentChange):
        assert not model.objects.filter(customer=c).exists(), model
    assert not OccasionMark.objects.filter(occasion__customer=c).exists()
    assert not c.tags.exists() and not Tag.objects.filter(name="zorblax-fan").exists()
    assert not RetentionReview.objects.filter(customer=c).exists()
    # Kept, without words.
    assert Purchase.objects.get(customer=c).total == Decimal("120.00")
    assert PurchaseLine.objects.filter(customer=c).count() == 1
    assert ValueSnapshot.objects.get(customer=c).tier == "B"
    touches = Touch.objects.filter(customer=c)
    assert touches.count() >= 1 and {(t.summary, t.outcome) for t in touches} == {("", "")}
    assert {t.channel for t in touches} == {"call"}  # the kind stays
    sent = Message.objects.get(pk=marked.message.pk)
    assert (sent.status, sent.subject, sent.body_text, sent.to_address) == ("sent", "", "", "")
    assert sent.sent_at is not None
    assert set(Message.objects.filter(customer=c).values_list("status", flat=True)) == {
        MessageStatus.SENT, MessageStatus.SKIPPED,
    }  # fmt: skip
    assert not messages_visible_to(owner).filter(customer=c).exists()  # nor in the outbox
    response = Response.objects.get(customer=c)
    assert (response.score, response.comment) == (9, "")
    assert response.answers == [{"question": "Why?", "answer": ""}, {"question": "n", "answer": 3}]
    assert Promise.objects.get(customer=c).what == ""
    # Their links in old emails stop working: no new answers, no RSVP.
    assert not SurveyInvitation.objects.get(customer=c).is_open()
    assert EventInvitation.objects.get(customer=c).token != rsvp_token_before
    assert Referral.objects.filter(referred=c, referrer=marked.referrer).exists()
    assert Referral.objects.filter(referrer=c, referred=marked.prospect).exists()
    # The addresses they had, as hashes only, for good.
    for address in (EMAIL, OLD_EMAIL):
        s = Suppression.objects.get(address_hash=address_hash(address))
        assert (s.address, s.reason) == ("", "erased")
    event = AuditEvent.objects.get(action="erase")
    assert (event.customer_id, event.target, event.actor_name) == (c.pk, "privacy erase", "olivia")
    with pytest.raises(AlreadyErased):
        erase_customer(c, by=owner)


def test_an_address_suppressed_before_keeps_no_clear_text_after(customer):
    from lifelong.outreach.compliance import suppress

    suppress("anna@berg.example", "unsubscribed")
    erase_customer(customer, by=None)
    (s,) = Suppression.objects.all()
    assert (s.address, s.reason) == ("", "erased")


# ---------------------------------------------------------------- the scan


def _cell_text(value: object) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def scan_database(markers: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, marker) for every cell of every table that holds a marker."""
    found = []
    quote = connection.ops.quote_name
    lowered = [m.lower() for m in markers]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            names = ", ".join(quote(c) for c in columns)
            cursor.execute(f"SELECT {names} FROM {quote(table)}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = _cell_text(value).lower()
                    found.extend((table, column, m) for m in lowered if m in text)
    assert len(tables) > 40  # the scan did look at the whole database
    return found


MARKERS = [
    FIRST, LAST, EMAIL, OLD_EMAIL, RELATIVE, "Zorbie", "Quuxgatan", "Zorbstad",
    *BIRTHDAY_FORMS, "--08-19", "2030-08-19", *PHONE_FORMS,
]  # fmt: skip


def test_the_scan_finds_the_marked_customer_before_erasure(marked, rep_client):
    """The scan itself works: before erasure it finds each marker where it is kept."""
    from django.urls import reverse

    rep_client.get(reverse("privacy:export", args=[marked.customer.pk]))
    found = scan_database(MARKERS)
    tables = {t for t, _, _ in found}
    for table in (
        "customers_customer", "customers_customeremail", "customers_searchterm",
        "customers_profileanswer", "customers_relative", "touches_touch", "outreach_message",
        "surveys_response", "promises_promise", "imports_importbatch", "customers_tag",
        "value_riskscore",
    ):  # fmt: skip
        assert table in tables, table
    assert {m for _, _, m in found} >= {
        FIRST.lower(), EMAIL, "1971-08-19", "46709998877", "2030-08-19",
    }  # fmt: skip
    assert ("outreach_message", "message_id", "2030-08-19") in found


def test_no_trace_of_an_erased_customer_in_any_table(marked, owner, rep_client):
    """Every column of every table, JSON and dates included, after erasure: no name, no
    address, no birthday in any format, no phone number (SQLite and PostgreSQL)."""
    from django.urls import reverse

    rep_client.get(reverse("privacy:export", args=[marked.customer.pk]))  # an audit row
    # Other people's records that mention them stay, without the name.
    pia = Customer.objects.get(pk=marked.prospect.pk)
    assert LAST in pia.how_we_met

    erase_customer(marked.customer, by=owner)

    assert scan_database(MARKERS) == []
    pia.refresh_from_db()
    assert pia.how_we_met == "Introduced by an erased customer."
    assert Touch.objects.filter(
        customer=marked.referrer, summary="Thanked for introducing an erased customer"
    ).exists()


# ---------------------------------------------------------------- the CLI


def test_cli_erase_with_yes(customer, capsys):
    call_command("privacy", "erase", str(customer.pk), "--yes")
    assert "Erased customer" in capsys.readouterr().out
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.first_name == ""
    assert AuditEvent.objects.filter(action="erase", via="cli", customer_id=customer.pk).exists()


def test_cli_erase_without_yes_and_no_terminal_refuses(customer, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "erase", str(customer.pk))
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_cli_erase_asks_for_the_id(customer, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "nope")
    with pytest.raises(CommandError, match="Not erased"):
        call_command("privacy", "erase", str(customer.pk))
    monkeypatch.setattr("builtins.input", lambda prompt: str(customer.pk))
    call_command("privacy", "erase", str(customer.pk))
    assert Customer.objects.get(pk=customer.pk).erased_at is not None
    with pytest.raises(CommandError, match="was erased"):
        call_command("privacy", "erase", str(customer.pk), "--yes")


def test_merging_is_not_offered_for_an_erased_customer(customer, rep):
    """Merge handlers exist for the privacy models, and the duplicates list never shows
    an erased customer (it reads customers_visible_to)."""
    from lifelong.customers.access import customers_visible_to
    from lifelong.customers.duplicates import possible_duplicates
    from lifelong.customers.services import save_customer

    twin = save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Berg", company="Berg Bygg AB"),
        emails=["anna@berg.example"],
    )
    assert possible_duplicates(customers_visible_to(rep)).items
    erase_customer(customer, by=None)
    assert [
        p
        for p in possible_duplicates(customers_visible_to(rep)).items
        if customer.pk in (p.a.pk, p.b.pk)
    ] == []
    assert twin.pk


def test_a_referral_to_an_erased_prospect_can_still_convert(customer, rep):
    """The referral stays for the referrer's figures; marking it converted saves the
    erased (nameless) customer, which save_customer allows for an erased one only."""
    from lifelong.referrals.services import refer_new_prospect, set_status

    referral = refer_new_prospect(customer, by=rep, first_name="Pia", last_name="Prospect")
    erase_customer(referral.referred, by=None)
    referral.refresh_from_db()
    set_status(referral, "became_customer", by=rep)
    referred = Customer.objects.get(pk=referral.referred_id)
    assert (referred.status, referred.first_name) == ("customer", "")
    assert referred.erased_at is not None
