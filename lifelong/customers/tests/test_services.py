import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from lifelong.customers.models import Customer, ProfileQuestion, Relative, SearchTerm
from lifelong.customers.services import (
    ContactPoint,
    move_question,
    normalise_phone,
    parse_answer,
    profile_sheet,
    save_customer,
    save_relative,
    set_answer,
)


def test_phones_are_stored_in_e164(rep):
    c = save_customer(Customer(owner=rep, first_name="Bo"), phones=["070-123 45 67"])
    assert list(c.phones.values_list("number", flat=True)) == ["+46701234567"]


def test_a_foreign_number_keeps_its_country():
    assert normalise_phone("+44 20 7946 0018") == "+442079460018"


def test_bad_emails_and_phones_are_reported_by_field_and_nothing_is_saved(rep):
    with pytest.raises(ValidationError) as e:
        save_customer(Customer(owner=rep, first_name="Bo"), emails=["nope"], phones=["12"])
    assert set(e.value.message_dict) == {"emails", "phones"}
    assert "'nope' is not a valid email address" in e.value.message_dict["emails"]
    assert not Customer.objects.exists()


def test_a_customer_needs_a_name_or_company(rep):
    with pytest.raises(ValidationError) as e:
        save_customer(Customer(owner=rep))
    assert e.value.message_dict["__all__"] == ["Give a first name, a last name or a company."]


def test_emails_are_lowercased_deduplicated_and_keep_labels(rep):
    c = save_customer(
        Customer(owner=rep, first_name="Bo"),
        emails=[ContactPoint("Bo@Example.com", "work"), "bo@example.com", "", "b2@example.com"],
    )
    assert [(e.address, e.label, e.position) for e in c.emails.all()] == [
        ("bo@example.com", "work", 0),
        ("b2@example.com", "home", 1),
    ]


def test_external_id_is_unique_when_set_but_blank_is_allowed_twice(rep):
    save_customer(Customer(owner=rep, first_name="A", external_id=""))
    save_customer(Customer(owner=rep, first_name="B", external_id="  "))
    save_customer(Customer(owner=rep, first_name="C", external_id="X1"))
    with pytest.raises(ValidationError) as e:
        save_customer(Customer(owner=rep, first_name="D", external_id="X1"))
    assert "external_id" in e.value.message_dict


def test_a_customer_cannot_refer_themselves(customer):
    customer.referred_by = customer
    with pytest.raises(ValidationError) as e:
        save_customer(customer)
    assert "referred_by" in e.value.message_dict


def test_search_terms_cover_names_company_emails_and_both_phone_forms(customer):
    terms = set(SearchTerm.objects.filter(customer=customer).values_list("term", flat=True))
    assert {"anna", "berg", "bygg", "ab", "anna@berg.example", "46701234567", "701234567"} <= terms


def test_accents_are_folded_for_search(rep):
    c = save_customer(Customer(owner=rep, first_name="Åsa", last_name="Ström"))
    terms = set(SearchTerm.objects.filter(customer=c).values_list("term", flat=True))
    assert {"asa", "strom"} <= terms
    assert c.sort_name == "ström åsa"


def test_consent_is_stamped_when_given_and_when_withdrawn(rep):
    with time_machine.travel("2026-01-02 10:00Z", tick=False):
        c = save_customer(Customer(owner=rep, first_name="Bo", email_consent=True))
    assert c.email_consent_at.isoformat() == "2026-01-02T10:00:00+00:00"
    with time_machine.travel("2026-03-04 10:00Z", tick=False):
        c.email_consent = False
        save_customer(c)
    assert c.email_consent_at.isoformat() == "2026-03-04T10:00:00+00:00"


def test_a_given_consent_date_is_kept_on_create(rep):
    when = timezone.now().replace(year=2020)
    c = save_customer(
        Customer(owner=rep, first_name="Bo", email_consent=True, email_consent_at=when)
    )
    assert c.email_consent_at == when


def q(key: str) -> ProfileQuestion:
    return ProfileQuestion.objects.get(key=key)


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("birthday", "--04-03", "--04-03"),
        ("birthday", "1980-4-3", "1980-04-03"),
        ("children_count", " 2 ", "2"),
        ("graduation_year", "1999.0", "1999"),
        ("contact_preference", "Phone", "Phone"),
        ("hobbies", "  sailing ", "sailing"),
    ],
)
def test_answers_are_stored_canonically(db, key, raw, stored):
    assert parse_answer(q(key), raw) == stored


@pytest.mark.parametrize(
    ("key", "raw"),
    [("birthday", "1981-02-29"), ("children_count", "two"), ("contact_preference", "Pigeon")],
)
def test_answers_that_do_not_fit_the_question_are_refused(db, key, raw):
    with pytest.raises(ValidationError):
        parse_answer(q(key), raw)


def test_blank_answer_removes_it(customer, rep):
    set_answer(customer, q("hobbies"), "golf", by=rep)
    assert set_answer(customer, q("hobbies"), "  ", by=rep) is None
    assert not customer.answers.exists()


def test_completeness_counts_visible_questions_only(customer, rep):
    sheet = profile_sheet(customer)
    assert sheet.total == 61 and sheet.completeness == 0
    set_answer(customer, q("birthday"), "--04-03", by=rep)
    ProfileQuestion.objects.filter(key__in=["pets", "smokes"]).update(hidden=True)
    sheet = profile_sheet(customer)
    assert (sheet.answered, sheet.total, sheet.completeness) == (1, 59, 1)
    assert sheet.unknown[0].key == "hometown"
    assert "pets" not in {u.key for u in sheet.unknown}


def test_moving_a_question_reorders_its_section(db):
    personal = lambda: list(  # noqa: E731
        ProfileQuestion.objects.filter(section="personal").values_list("key", flat=True)
    )
    before = personal()
    move_question(q(before[1]), -1)
    assert personal()[:2] == [before[1], before[0]]
    move_question(q(before[0]), -5)  # clamps at the top
    assert personal()[0] == before[0]


def test_relative_birthday_without_year(customer):
    r = save_relative(
        Relative(customer=customer, name=" Lisa ", relationship="child", birthday="--12-24")
    )
    r.refresh_from_db()
    assert (r.name, r.birthday.isoformat(), str(r.birthday)) == ("Lisa", "--12-24", "24 December")


def test_relative_needs_a_known_relationship(customer):
    with pytest.raises(ValidationError):
        save_relative(Relative(customer=customer, name="X", relationship="cousin-ish"))
