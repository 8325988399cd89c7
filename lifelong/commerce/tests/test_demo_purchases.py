"""The demo's products and purchases: deterministic, consistent, and shaped like BG/NBD data."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from lifelong import demo
from lifelong.accounts.models import Business
from lifelong.commerce.models import Product, Purchase, PurchaseLine
from lifelong.customers.models import Customer, Status

TODAY = dt.date(2026, 3, 15)
START = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)


def purchases_snapshot() -> list[tuple]:
    index = {
        pk: i for i, pk in enumerate(Customer.objects.order_by("id").values_list("pk", flat=True))
    }
    return [
        (
            index[p.customer_id], p.occurred_at, p.total, p.currency, p.channel,
            [(ln.product_version.label, ln.quantity, ln.amount) for ln in p.lines.order_by("id")],
        )
        for p in Purchase.objects.order_by("customer_id", "occurred_at", "id").prefetch_related(
            "lines__product_version"
        )
    ]  # fmt: skip


def test_the_same_seed_gives_the_same_purchases(db):
    demo.generate(30, seed=5, today=TODAY, progress=False)
    first = purchases_snapshot()
    assert first
    Customer.objects.all().delete()
    demo.generate(30, seed=5, today=TODAY, progress=False)
    assert purchases_snapshot() == first
    Customer.objects.all().delete()
    demo.generate(30, seed=6, today=TODAY, progress=False)
    assert purchases_snapshot() != first


def test_purchases_leave_the_customers_of_a_seed_as_they_were(db):
    demo.generate(15, seed=9, today=TODAY, progress=False, purchases=False)
    without = list(Customer.objects.order_by("id").values_list("first_name", "last_name", "status"))
    assert not Purchase.objects.exists()
    Customer.objects.all().delete()
    result = demo.generate(15, seed=9, today=TODAY, progress=False)
    assert result.purchases == Purchase.objects.count() > 0
    with_ = list(Customer.objects.order_by("id").values_list("first_name", "last_name", "status"))
    assert with_ == without


@pytest.fixture
def generated(db) -> demo.DemoResult:
    return demo.generate(200, seed=3, today=TODAY, progress=False)


def test_the_catalogue_has_versions_in_order(generated):
    assert Product.objects.count() == len(demo.DEMO_PRODUCTS)
    printer = Product.objects.get(sku="PRN")
    p5, p6, p7 = printer.versions.order_by("released_on")
    assert (p5.label, p6.label, p7.label) == ("P5", "P6", "P7")
    assert p5.supersedes is None and p6.supersedes == p5 and p7.supersedes == p6
    # A second run finds the catalogue rather than making another.
    demo.generate(2, seed=4, today=TODAY, progress=False)
    assert Product.objects.count() == len(demo.DEMO_PRODUCTS)


def test_purchases_are_consistent(generated):
    currency = Business.get().currency
    assert currency == "SEK"  # the demo's face: a Swedish business
    lines = PurchaseLine.objects.select_related("purchase", "product_version")
    sums: dict[int, Decimal] = {}
    for line in lines:
        assert line.customer_id == line.purchase.customer_id
        assert line.amount >= 0 and line.quantity >= 1
        released = line.product_version.released_on
        assert released is None or released <= line.purchase.occurred_at.date()
        sums[line.purchase_id] = sums.get(line.purchase_id, Decimal(0)) + line.amount
    earliest = START - dt.timedelta(days=demo.PURCHASE_YEARS * 365 + 1)
    for purchase in Purchase.objects.all():
        assert purchase.total == sums[purchase.pk] > 0
        assert purchase.currency == currency
        assert earliest <= purchase.occurred_at < START
        assert purchase.occurred_at == purchase.created_at


def test_who_bought(generated):
    by_status = {
        status: (
            Customer.objects.filter(status=status).count(),
            Customer.objects.filter(status=status, purchases__isnull=False).distinct().count(),
        )
        for status in Status.values
    }
    total, bought = by_status[Status.CUSTOMER]
    assert bought >= 0.75 * total  # most customers have bought
    assert by_status[Status.PROSPECT][1] == 0
    # Former customers stopped buying at least 200 days ago.
    last = Purchase.objects.filter(customer__status=Status.FORMER).order_by("-occurred_at").first()
    if last is not None:
        assert last.occurred_at < START - dt.timedelta(days=199)


def test_the_data_looks_like_customers_do(generated):
    """Heterogeneous rates, drop-out and spend: many one-time buyers, a long tail, 80:20."""
    counts = list(
        Purchase.objects.values("customer").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert counts.count(1) >= 0.15 * len(counts)  # plenty bought once
    assert max(counts) >= 8  # and some buy often
    revenue = sorted(
        (
            r
            for r in Purchase.objects.values("customer")
            .annotate(s=Sum("total"))
            .values_list("s", flat=True)
        ),
        reverse=True,
    )
    top = sum(revenue[: len(revenue) // 5]) / sum(revenue)
    assert 0.45 < top < 0.85  # the best fifth bring about half or more of the revenue
    spends = [float(t) for t in Purchase.objects.values_list("total", flat=True)]
    assert 1500 < sum(spends) / len(spends) < 8000  # about 4,000 SEK per purchase
