"""upcoming(): the window, the leap rule, marks, order and who sees what."""

import datetime as dt

import pytest

from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.customers.services import archive_customer
from lifelong.occasions.models import Kind, MarkStatus, Occasion
from lifelong.occasions.services import mark, upcoming
from lifelong.occasions.tests.conftest import add_child, make_customer


def add(customer, month, day, year=None, kind=Kind.CUSTOM, label="Renewal") -> Occasion:
    return Occasion.objects.create(
        customer=customer, kind=kind, month=month, day=day, year=year, label=label
    )


def keys(found) -> list[tuple]:
    return [(u.occasion.customer.first_name, u.title, u.on) for u in found]


def test_it_shows_an_occasion_from_its_lead_time_to_its_day(customer):
    add(customer, 4, 10)
    everyone = Customer.objects.all()
    assert upcoming(everyone, dt.date(2026, 4, 2)) == []
    (found,) = upcoming(everyone, dt.date(2026, 4, 3))
    assert (found.on, found.remind_from, found.title) == (
        dt.date(2026, 4, 10),
        dt.date(2026, 4, 3),
        "Renewal",
    )
    assert found.key == f"occasion:{found.occasion.pk}:2026-04-10"
    assert len(upcoming(everyone, dt.date(2026, 4, 10))) == 1
    assert upcoming(everyone, dt.date(2026, 4, 11)) == []
    # A wider window reaches further.
    assert len(upcoming(everyone, dt.date(2026, 3, 27), days=7)) == 1


def test_the_window_runs_across_new_year(customer):
    add(customer, 1, 3, 1980, kind=Kind.BIRTHDAY)
    add(customer, 12, 31, kind=Kind.ONE_OFF, year=2026, label="Year-end call")
    found = upcoming(Customer.objects.all(), dt.date(2026, 12, 30), days=2)
    assert [(u.title, u.on, u.years) for u in found] == [
        ("Year-end call", dt.date(2026, 12, 31), None),
        ("Birthday", dt.date(2027, 1, 3), 47),
    ]


def test_lead_time_zero_shows_only_on_the_day(customer):
    add(customer, 5, 1, 2020, kind=Kind.CUSTOMER_SINCE)
    assert upcoming(Customer.objects.all(), dt.date(2026, 4, 30)) == []
    (found,) = upcoming(Customer.objects.all(), dt.date(2026, 5, 1))
    assert (found.title, found.years) == ("Customer for 6 years", 6)


@pytest.mark.parametrize(
    ("rule", "year", "on"),
    [
        ("feb28", 2027, dt.date(2027, 2, 28)),
        ("mar1", 2027, dt.date(2027, 3, 1)),
        ("feb28", 2028, dt.date(2028, 2, 29)),
        ("mar1", 2028, dt.date(2028, 2, 29)),
    ],
)
def test_a_leap_day_birthday_comes_up_under_the_rule(settings, customer, rule, year, on):
    settings.LIFELONG_OCCASIONS = {"leap_day": rule}
    add(customer, 2, 29, 1980, kind=Kind.BIRTHDAY)
    (found,) = upcoming(Customer.objects.all(), on)
    assert found.on == on
    assert found.years == year - 1980
    assert upcoming(Customer.objects.all(), on + dt.timedelta(days=1)) == []


def test_marks_hide_an_occurrence(customer, rep):
    occasion = add(customer, 6, 10)
    everyone = Customer.objects.all()
    today = dt.date(2026, 6, 5)
    mark(occasion, dt.date(2026, 6, 10), MarkStatus.SNOOZED, by=rep, until=dt.date(2026, 6, 7))
    assert upcoming(everyone, today) == []
    assert upcoming(everyone, dt.date(2026, 6, 6)) == []
    assert len(upcoming(everyone, dt.date(2026, 6, 7))) == 1
    mark(occasion, dt.date(2026, 6, 10), MarkStatus.DONE, by=rep)
    assert upcoming(everyone, dt.date(2026, 6, 8)) == []
    mark(occasion, dt.date(2026, 6, 10), MarkStatus.DISMISSED, by=rep)
    assert upcoming(everyone, dt.date(2026, 6, 8)) == []
    # Next year's occurrence is a new one.
    assert len(upcoming(everyone, dt.date(2027, 6, 8))) == 1


def test_order_is_value_rank_then_date_and_reps_see_only_their_own(
    customer, rep, outsider, birthday_question
):
    bo = make_customer(outsider, "Bo", "Ek")
    cilla = make_customer(rep, "Cilla", "Lind")
    Customer.objects.filter(pk=bo.pk).update(value_rank=9)
    Customer.objects.filter(pk=cilla.pk).update(value_rank=5)
    add(customer, 3, 2, label="Anna's renewal")
    add(bo, 3, 3, label="Bo's renewal")
    add(cilla, 3, 5, label="Cilla's renewal")
    add_child(cilla, "Emma", "2010-03-04")
    today = dt.date(2026, 3, 1)
    assert keys(upcoming(Customer.objects.all(), today)) == [
        ("Bo", "Bo's renewal", dt.date(2026, 3, 3)),
        ("Cilla", "Emma's birthday (child)", dt.date(2026, 3, 4)),
        ("Cilla", "Cilla's renewal", dt.date(2026, 3, 5)),
        ("Anna", "Anna's renewal", dt.date(2026, 3, 2)),
    ]
    mine = upcoming(customers_visible_to(rep), today, limit=2)
    assert [u.occasion.customer.first_name for u in mine] == ["Cilla", "Cilla"]
    archive_customer(cilla)
    assert keys(upcoming(customers_visible_to(rep), today)) == [
        ("Anna", "Anna's renewal", dt.date(2026, 3, 2))
    ]


def test_a_window_over_a_year_is_refused(customer):
    with pytest.raises(ValueError):
        upcoming(Customer.objects.all(), dt.date(2026, 1, 1), days=400)
