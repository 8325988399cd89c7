"""Possible duplicates: each rule, the words it gives, the caps, dismissals and paging."""

import pytest

from lifelong.cursors import BadCursor
from lifelong.customers.duplicates import (
    MAX_GROUP,
    _one_edit,
    dismiss_pair,
    pair_reasons,
    possible_duplicates,
)
from lifelong.customers.models import Customer, NotDuplicate
from lifelong.customers.services import save_customer

pytestmark = pytest.mark.django_db


def make(owner, first="", last="", company="", emails=(), phones=()) -> Customer:
    return save_customer(
        Customer(owner=owner, first_name=first, last_name=last, company=company),
        emails=list(emails),
        phones=list(phones),
    )


def pairs(qs=None) -> dict[tuple[int, int], list[str]]:
    page = possible_duplicates(qs if qs is not None else Customer.objects.all())
    return {(p.a.pk, p.b.pk): p.reasons for p in page.items}


def test_the_same_email_address_says_which(rep):
    a = make(rep, "Anna", "Berg", emails=["anna@berg.se"])
    b = make(rep, "A.", "Berg-Lund", emails=["ANNA@berg.se"])
    assert pairs() == {(a.pk, b.pk): ["same email anna@berg.se"]}


def test_the_same_phone_number_in_another_form(rep):
    a = make(rep, "Anna", phones=["+46701234567"])
    b = make(rep, "Bo", phones=["070-123 45 67"])
    assert pairs() == {(a.pk, b.pk): ["same phone +46701234567"]}


def test_the_same_name_and_company_folded_for_case_and_accents(rep):
    a = make(rep, "Åsa", "Ström", "Ström Bygg AB")
    b = make(rep, "asa", "STROM", "Strom bygg ab")
    make(rep, "Åsa", "Ström", "Another AB")  # same name, another company: not a pair
    assert pairs() == {(a.pk, b.pk): ["same name and company"]}


def test_the_same_name_without_a_company(rep):
    a = make(rep, "Per", "Holm")
    b = make(rep, "per", "holm")
    assert pairs() == {(a.pk, b.pk): ["same name, no company on either"]}


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ("anna.berg@gmail.com", "annaberg@gmail.com"),  # dots
        ("anna.berg+news@gmail.com", "anna.berg@gmail.com"),  # a +tag
        ("anna.berg@berg.se", "anna.berg@gmail.com"),  # the same name at another domain
        ("anna.berg@berg.se", "ana.berg@berg.se"),  # one letter dropped
        ("anna.berg@berg.se", "anna.brg@berg.se"),  # one letter dropped
        ("anna.berg@berg.se", "anna.bgre@berg.se"),  # no: two edits
        ("anna.berg@berg.se", "anna.berq@berg.se"),  # one letter changed
        ("anna.berg@berg.se", "anna.bregg@berg.se"),  # no: two edits
        ("anna.berg@berg.se", "anan.berg@berg.se"),  # two neighbours swapped
    ],
)
def test_similar_emails(rep, x, y):
    a = make(rep, "First", emails=[x])
    b = make(rep, "Second", emails=[y])
    found = pairs()
    if "bgre" in y or "bregg" in y:
        assert found == {}
    else:
        assert found == {(a.pk, b.pk): [f"similar emails {min(x, y)} and {max(x, y)}"]}


def test_role_addresses_and_short_names_at_other_domains_are_not_similar(rep):
    make(rep, "Shop one", emails=["info@one.se"])
    make(rep, "Shop two", emails=["info@two.se"])
    make(rep, "Jo", emails=["jo@one.se"])
    make(rep, "Jo two", emails=["jo@two.se"])
    assert pairs() == {}


def test_one_edit():
    assert _one_edit("anna", "ana") and _one_edit("ana", "anna")
    assert _one_edit("anna", "anja") and _one_edit("anna", "naan"[:0] + "nana")
    assert not _one_edit("anna", "anna") and not _one_edit("anna", "bob")
    assert not _one_edit("abc", "bca")
    assert not _one_edit("anna.berg1", "anna.berg2") and not _one_edit("anna.berg", "anna.berg1")


def test_a_pair_found_several_ways_lists_every_reason_strongest_first(rep):
    a = make(rep, "Anna", "Berg", "Berg AB", emails=["anna@berg.se"], phones=["+46701234567"])
    b = make(rep, "Anna", "Berg", "Berg AB", emails=["anna@berg.se"], phones=["+46701234567"])
    reasons = ["same email anna@berg.se", "same phone +46701234567", "same name and company"]
    assert pairs() == {(a.pk, b.pk): reasons}
    assert pair_reasons(b, a) == pairs()[(a.pk, b.pk)]


def test_three_records_of_one_person_make_three_pairs(rep):
    people = [make(rep, "Anna", "Berg", emails=["anna@berg.se"]) for _ in range(3)]
    ids = [p.pk for p in people]
    assert set(pairs()) == {(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])}


def test_a_key_shared_by_too_many_customers_is_a_placeholder_not_a_person(rep):
    for i in range(MAX_GROUP + 1):
        make(rep, f"Person {i}", emails=["noemail@example.com"])
    assert pairs() == {}


def test_a_dismissed_pair_does_not_come_back(rep):
    a = make(rep, "Anna", "Berg", emails=["anna@berg.se"])
    b = make(rep, "Anna", "Berg", emails=["anna@berg.se"])
    dismiss_pair(b, a, by=rep)
    assert NotDuplicate.objects.get().a_id == a.pk
    assert pairs() == {}
    dismiss_pair(a, b, by=rep)  # twice is fine
    assert NotDuplicate.objects.count() == 1


def test_only_the_customers_given_are_paired(rep, outsider):
    make(rep, "Anna", "Berg", emails=["anna@berg.se"])
    make(outsider, "Anna", "Berg", emails=["anna@berg.se"])
    assert pairs(Customer.objects.filter(owner=rep)) == {}
    assert len(pairs()) == 1


def test_surest_first_then_pages_by_cursor(rep):
    by_name = [make(rep, "Per", "Holm"), make(rep, "Per", "Holm")]
    by_email = [make(rep, f"E{i}", emails=["same@mail.se"]) for i in range(2)]
    by_phone = [make(rep, f"P{i}", phones=["+46701234567"]) for i in range(2)]
    first = possible_duplicates(Customer.objects.all(), limit=2)
    assert [p.b for p in first.items] == [by_email[1], by_phone[1]]
    second = possible_duplicates(Customer.objects.all(), limit=2, cursor=first.next_cursor)
    assert [p.b for p in second.items] == [by_name[1]]
    assert second.next_cursor is None
    with pytest.raises(BadCursor):
        possible_duplicates(Customer.objects.all(), cursor="nonsense")
