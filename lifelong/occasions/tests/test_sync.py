"""Derived occasions follow their sources, through signals and in bulk."""

import datetime as dt
from decimal import Decimal

from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer, ProfileAnswer, Relative
from lifelong.customers.services import save_customer, set_answer
from lifelong.occasions.models import Kind, MarkStatus, Occasion
from lifelong.occasions.services import mark, sync_occasions
from lifelong.occasions.tests.conftest import add_child, make_customer


def derived(customer: Customer) -> set[tuple]:
    return set(
        Occasion.objects.filter(customer=customer, derived=True).values_list(
            "kind", "relative__name", "month", "day", "year"
        )
    )


def test_a_birthday_answer_makes_an_occasion_and_its_edit_keeps_the_marks(
    customer, birthday_question
):
    set_answer(customer, birthday_question, "1980-04-03", by=None)
    occasion = Occasion.objects.get(customer=customer, kind=Kind.BIRTHDAY)
    assert (occasion.month, occasion.day, occasion.year, occasion.derived) == (4, 3, 1980, True)
    mark(occasion, dt.date(2026, 4, 3), MarkStatus.DONE, by=None)

    set_answer(customer, birthday_question, "--04-05", by=None)
    occasion.refresh_from_db()
    assert (occasion.month, occasion.day, occasion.year) == (4, 5, None)
    assert occasion.marks.count() == 1

    set_answer(customer, birthday_question, "", by=None)
    assert not Occasion.objects.filter(customer=customer).exists()


def test_a_wedding_anniversary_answer_makes_an_occasion(customer, wedding_question):
    set_answer(customer, wedding_question, "2001-06-16", by=None)
    assert derived(customer) == {(Kind.WEDDING_ANNIVERSARY, None, 6, 16, 2001)}
    ProfileAnswer.objects.filter(customer=customer).delete()
    assert derived(customer) == set()


def test_a_relatives_birthday_follows_the_relative(customer):
    emma = add_child(customer, "Emma", "2012-11-27")
    assert derived(customer) == {(Kind.RELATIVE_BIRTHDAY, "Emma", 11, 27, 2012)}
    emma.birthday = "--11-28"
    emma.save()
    assert derived(customer) == {(Kind.RELATIVE_BIRTHDAY, "Emma", 11, 28, None)}
    emma.birthday = None
    emma.save()
    assert derived(customer) == set()
    emma.birthday = "2012-11-27"
    emma.save()
    emma.delete()
    assert derived(customer) == set()


def buy(customer: Customer, when: dt.datetime) -> Purchase:
    return Purchase.objects.create(
        customer=customer, occurred_at=when, total=Decimal(10), currency="EUR"
    )


def test_customer_since_comes_from_the_first_purchase_in_local_time(customer):
    # 23:30 UTC on 4 March is 5 March in Stockholm.
    late = buy(customer, dt.datetime(2020, 3, 4, 23, 30, tzinfo=dt.UTC))
    assert derived(customer) == {(Kind.CUSTOMER_SINCE, None, 3, 5, 2020)}
    first = buy(customer, dt.datetime(2019, 1, 10, 12, tzinfo=dt.UTC))
    assert derived(customer) == {(Kind.CUSTOMER_SINCE, None, 1, 10, 2019)}
    first.delete()
    assert derived(customer) == {(Kind.CUSTOMER_SINCE, None, 3, 5, 2020)}
    late.delete()
    assert derived(customer) == set()


def test_became_customer_on_wins_over_purchases(customer):
    buy(customer, dt.datetime(2019, 1, 10, 12, tzinfo=dt.UTC))
    customer.became_customer_on = dt.date(2015, 8, 1)
    save_customer(customer)
    assert derived(customer) == {(Kind.CUSTOMER_SINCE, None, 8, 1, 2015)}
    buy(customer, dt.datetime(2010, 1, 1, 12, tzinfo=dt.UTC))
    assert derived(customer) == {(Kind.CUSTOMER_SINCE, None, 8, 1, 2015)}


def test_deleting_a_customer_with_purchases_and_a_start_date_leaves_nothing(customer):
    customer.became_customer_on = dt.date(2015, 8, 1)
    save_customer(customer)
    buy(customer, dt.datetime(2019, 1, 10, 12, tzinfo=dt.UTC))
    customer.delete()
    assert not Occasion.objects.exists()


def test_sync_in_bulk_equals_what_signals_make(rep, birthday_question, wedding_question):
    anna = make_customer(rep, "Anna", "Berg", became_customer_on=dt.date(2018, 2, 28))
    set_answer(anna, birthday_question, "1980-02-29", by=None)
    set_answer(anna, wedding_question, "--06-16", by=None)
    add_child(anna, "Emma", "2012-11-27")
    add_child(anna, "Olle", None)
    bo = make_customer(rep, "Bo", "Ek")
    buy(bo, dt.datetime(2021, 7, 1, 22, 30, tzinfo=dt.UTC))
    by_signals = {c.pk: derived(c) for c in (anna, bo)}
    assert len(by_signals[anna.pk]) == 4
    kept = Occasion.objects.get(customer=anna, kind=Kind.BIRTHDAY)

    # Stale and missing rows, as bulk writes would leave them.
    Occasion.objects.filter(customer=bo).delete()
    Occasion.objects.filter(pk=kept.pk).update(day=28)
    Occasion.objects.create(customer=anna, kind=Kind.WEDDING_ANNIVERSARY, month=1, day=1)
    Occasion.objects.filter(customer=anna, kind=Kind.WEDDING_ANNIVERSARY, derived=True).delete()
    Occasion.objects.create(
        customer=anna, kind=Kind.RELATIVE_BIRTHDAY, derived=True, month=1, day=1,
        relative=Relative.objects.get(name="Olle"),
    )  # fmt: skip

    assert sync_occasions() == 4
    assert {c.pk: derived(c) for c in (anna, bo)} == by_signals
    assert Occasion.objects.filter(pk=kept.pk).exists()  # updated in place
    assert sync_occasions(Customer.objects.filter(pk=bo.pk)) == 0
    # The one a person added is no business of the sync.
    assert Occasion.objects.filter(customer=anna, derived=False).count() == 1


def test_sync_of_sparse_customers_touches_only_them(rep, birthday_question):
    people = [make_customer(rep, f"P{i}", "X") for i in range(5)]
    for p in people:
        set_answer(p, birthday_question, "--01-01", by=None)
    Occasion.objects.all().delete()
    chosen = Customer.objects.filter(pk__in=[people[0].pk, people[4].pk])
    assert sync_occasions(chosen) == 2
    assert set(Occasion.objects.values_list("customer_id", flat=True)) == {
        people[0].pk,
        people[4].pk,
    }


def test_a_purchase_import_brings_customer_since_up_to_date(tmp_path, customer, rep):
    from lifelong.commerce.importer import PurchaseImport

    customer.external_id = "A1"
    save_customer(customer)
    path = tmp_path / "purchases.csv"
    path.write_text("customer,date,amount,currency\nA1,2021-05-06,10,EUR\nB2,2022-01-02,5,EUR\n")
    report = PurchaseImport(path, create_customers=True, owner=rep).run()
    assert report.imported == 2
    assert derived(customer) == {(Kind.CUSTOMER_SINCE, None, 5, 6, 2021)}
    new = Customer.objects.get(external_id="B2")
    assert derived(new) == {(Kind.CUSTOMER_SINCE, None, 1, 2, 2022)}
