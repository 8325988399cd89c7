"""Occasion.value_rank copies the customer's, so upcoming() reads its window best first."""

import datetime as dt

from lifelong.customers.models import Customer
from lifelong.customers.services import archive_customer
from lifelong.occasions.models import Kind, Occasion
from lifelong.occasions.services import mirror_value_rank, sync_occasions, upcoming
from lifelong.occasions.tests.conftest import add_child, make_customer


def ranks(customer) -> set[int]:
    return set(Occasion.objects.filter(customer=customer).values_list("value_rank", flat=True))


def test_a_new_occasion_takes_the_stored_rank_even_from_a_stale_customer(rep):
    c = make_customer(rep, "Anna", "Berg")
    Customer.objects.filter(pk=c.pk).update(value_rank=8)  # `c` in hand still says 0
    Occasion.objects.create(customer=c, kind=Kind.CUSTOM, month=5, day=1, label="Renewal")
    add_child(c, "Emma", "2010-05-02")  # derived, through the signal
    assert ranks(c) == {8}


def test_saving_the_customer_carries_the_rank_to_the_occasions(rep):
    c = make_customer(rep, "Anna", "Berg")
    add_child(c, "Emma", "2010-05-02")
    c.value_rank = 6
    c.save()
    assert ranks(c) == {6}


def test_mirror_value_rank_mends_what_bypassed_the_model(rep):
    a, b = make_customer(rep, "Anna", "Berg"), make_customer(rep, "Bo", "Ek")
    add_child(a, "Emma", "2010-05-02")
    add_child(b, "Olle", "2011-05-03")
    Customer.objects.filter(pk=a.pk).update(value_rank=9)
    assert ranks(a) == {0}
    assert mirror_value_rank() == 1
    assert ranks(a) == {9} and ranks(b) == {0}
    assert mirror_value_rank() == 0


def test_sync_occasions_writes_the_rank_of_occasions_it_makes(rep):
    c = make_customer(rep, "Anna", "Berg", became_customer_on=dt.date(2020, 5, 1))
    Occasion.objects.all().delete()
    Customer.objects.filter(pk=c.pk).update(value_rank=7)
    assert sync_occasions() == 1
    assert ranks(c) == {7}


def test_the_first_page_is_the_best_ranked_and_leaves_out_the_archived(rep):
    people = []
    for rank in (3, 10, 0, 7, 10):
        c = make_customer(rep, f"R{rank}", f"N{len(people)}")
        Customer.objects.filter(pk=c.pk).update(value_rank=rank)
        add_child(c, "Kid", f"2010-05-{2 + len(people):02d}")
        people.append(c)
    archive_customer(people[1])  # saves archived_at only: the ranks stay
    assert ranks(people[1]) == {10}
    found = upcoming(Customer.objects.all(), dt.date(2026, 5, 1), limit=3)
    assert [(u.occasion.customer.first_name, u.on.day) for u in found] == [
        ("R10", 6),
        ("R7", 5),
        ("R3", 2),
    ]
