"""The benchmark's loader writes what the services would: a small load, checked."""

import customers as customers_bench  # bench/customers.py: pytest puts bench/ on the path
import pytest
from django.db.models import Max

from lifelong.customers.listing import Filters, list_customers
from lifelong.customers.models import Customer, SearchTerm
from lifelong.customers.services import search_terms
from lifelong.touches.models import Touch


def test_the_loader_knows_every_column_of_the_tables_it_writes():
    from django.apps import apps

    for table, columns in customers_bench.TABLES.items():
        model = next(
            m for m in apps.get_models(include_auto_created=True) if m._meta.db_table == table
        )
        required = {
            f.column
            for f in model._meta.concrete_fields
            if not f.primary_key and not f.has_default() and not f.null
        }
        assert set(columns) <= {f.column for f in model._meta.concrete_fields}, table
        assert required <= set(columns), table


def test_a_small_load_is_consistent_and_searchable(db):
    customers_bench.load(60, seed=5, fast=False)
    assert Customer.objects.count() == 60
    latest = dict(
        Touch.objects.values("customer").annotate(m=Max("occurred_at")).values_list("customer", "m")
    )
    for c in Customer.objects.prefetch_related("emails", "phones"):
        assert c.sort_name == c.compute_sort_name()
        assert c.last_touched_at == latest.get(c.pk)
        terms = set(SearchTerm.objects.filter(customer=c).values_list("term", flat=True))
        assert terms == search_terms(
            c, [e.address for e in c.emails.all()], [p.number for p in c.phones.all()]
        )
    owner = customers_bench.bench_users()["owner"]
    someone = Customer.objects.filter(archived_at=None).exclude(last_name="").first()
    page = list_customers(owner, Filters(q=someone.last_name[:3]), limit=100)
    assert someone in page.items


def test_stats_are_median_and_nearest_rank_p95():
    figures = customers_bench.stats([i / 1000 for i in range(1, 21)])
    assert figures == {"median": pytest.approx(10.5), "p95": pytest.approx(19.0)}


def test_the_middle_cursor_opens_a_page_half_way_down(db):
    customers_bench.load(30, seed=2, fast=False)
    owner = customers_bench.bench_users()["owner"]
    everyone = list_customers(owner, Filters(), limit=100).items
    page = list_customers(owner, Filters(), cursor=customers_bench.middle_cursor(owner), limit=5)
    half = len(everyone) // 2
    assert [c.pk for c in page.items] == [c.pk for c in everyone[half + 1 : half + 6]]
