"""Recording purchases, parsing money and dates, products and versions, history and totals."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from lifelong.accounts.models import Business
from lifelong.commerce import services
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.commerce.services import Line, record_purchase
from lifelong.cursors import BadCursor
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)
STOCKHOLM = Business().tzinfo  # the default zone


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", "12.50"),
        ("12,50", "12.50"),
        ("1 234.50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("1.234.567", "1234567.00"),
        ("12", "12.00"),
        ("0", "0.00"),
        (" 7.5 ", "7.50"),
        ("-0", "0.00"),
    ],
)
def test_amounts_in_the_common_notations(raw, expected):
    assert services.parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-12.50", "negative"),
        ("abc", "not a number"),
        ("€12", "not a number"),
        ("", "missing"),
        ("1,234", "ambiguous"),
        ("1.2345", "more than two decimal places"),
        ("1,23,4", "not a number"),
        ("1.234.56", "not a number"),
        ("12.50.1", "not a number"),
        ("1e5", "not a number"),
        ("NaN", "not a number"),
        ("99999999999999", "too large"),
    ],
)
def test_bad_amounts_say_why(raw, message):
    with pytest.raises(ValidationError, match=message):
        services.parse_amount(raw)


def test_clean_amount_refuses_floats():
    with pytest.raises(ValidationError, match="not a float"):
        services.clean_amount(12.5)
    assert services.clean_amount(Decimal("12.500")) == Decimal("12.50")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1997-01-01", dt.datetime(1997, 1, 1, 12, tzinfo=STOCKHOLM)),
        ("19970101", dt.datetime(1997, 1, 1, 12, tzinfo=STOCKHOLM)),
        ("1997-01-01T23:30:00+05:00", dt.datetime(1997, 1, 1, 18, 30, tzinfo=dt.UTC)),
        ("1997-01-01T10:00:00Z", dt.datetime(1997, 1, 1, 10, tzinfo=dt.UTC)),
        ("1997-01-01 10:00", dt.datetime(1997, 1, 1, 10, tzinfo=STOCKHOLM)),
        ("2025-03-14", dt.datetime(2025, 3, 14, 12, tzinfo=STOCKHOLM)),  # today, noon ahead
    ],
)
def test_dates_and_times(db, raw, expected):
    assert services.parse_when(raw) == expected


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2025-03-15", "in the future"),
        ("01/02/1997", "not a date"),
        ("1997-02-30", "not a date"),
        ("19971301", "not a date"),
        ("yesterday", "not a date"),
        ("", "missing"),
    ],
)
def test_bad_dates_say_why(db, raw, message):
    with pytest.raises(ValidationError, match=message):
        services.parse_when(raw)


def test_a_date_keeps_its_day_in_every_zone(db):
    business = Business.get()
    for zone in ["Pacific/Auckland", "Pacific/Pago_Pago", "Asia/Tokyo", "America/Los_Angeles"]:
        business.time_zone = zone
        business.save()
        when = services.parse_when("2020-06-30")
        assert when.astimezone(dt.UTC).date() == dt.date(2020, 6, 30)
        assert when.astimezone(business.tzinfo).date() == dt.date(2020, 6, 30)


def test_currency_codes(db):
    assert services.clean_currency(" sek ") == "SEK"
    assert services.clean_currency("") == Business.get().currency
    assert services.clean_currency(None, "USD") == "USD"
    with pytest.raises(ValidationError, match="three-letter"):
        services.clean_currency("EURO")


# ---------------------------------------------------------------- record_purchase


@time_machine.travel(NOW, tick=False)
def test_a_purchase_on_a_date_is_at_noon_business_time_in_its_currency(customer):
    purchase = record_purchase(
        customer, occurred_at=dt.date(2025, 1, 2), total="99.90", channel="store"
    )
    purchase.refresh_from_db()
    assert purchase.occurred_at == dt.datetime(2025, 1, 2, 11, tzinfo=dt.UTC)
    assert purchase.total == Decimal("99.90")
    assert purchase.currency == "EUR"
    assert purchase.channel == "store"
    assert not purchase.lines.exists()


@time_machine.travel(NOW, tick=False)
def test_lines_make_the_total_and_carry_the_customer(customer):
    product = services.add_product(name="Printer", sku="PRN")
    version = services.add_version(product, label="P7")
    purchase = record_purchase(
        customer,
        occurred_at=NOW,
        currency="sek",
        channel="online",
        reference=" A-17 ",
        lines=[Line("1200.00", 1, version), Line(Decimal("35.50"), 3)],
    )
    assert purchase.total == Decimal("1235.50")
    assert purchase.currency == "SEK"
    assert purchase.reference == "A-17"
    lines = list(PurchaseLine.objects.filter(purchase=purchase).order_by("id"))
    assert [(ln.customer_id, ln.product_version, ln.quantity, ln.amount) for ln in lines] == [
        (customer.pk, version, 1, Decimal("1200.00")),
        (customer.pk, None, 3, Decimal("35.50")),
    ]


@time_machine.travel(NOW, tick=False)
def test_every_bad_field_is_reported_and_nothing_is_written(customer):
    with pytest.raises(ValidationError) as excinfo:
        record_purchase(
            customer,
            occurred_at=dt.date(2025, 4, 1),
            total="-5",
            currency="euro",
            channel="carrier pigeon",
            reference="x" * 101,
        )
    errors = errors_of(excinfo)
    assert set(errors) == {"occurred_at", "total", "currency", "channel", "reference"}
    assert "future" in errors["occurred_at"][0]
    assert "negative" in errors["total"][0]
    with pytest.raises(ValidationError) as excinfo:
        record_purchase(customer, occurred_at=NOW, lines=[Line("1.234"), Line("2", quantity=0)])
    assert set(errors_of(excinfo)) == {"lines.0.amount", "lines.1.quantity"}
    assert not Purchase.objects.exists()
    assert not PurchaseLine.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_total_is_needed_and_must_match_the_lines(customer):
    with pytest.raises(ValidationError) as excinfo:
        record_purchase(customer, occurred_at=NOW)
    assert "Give a total" in errors_of(excinfo)["total"][0]
    with pytest.raises(ValidationError) as excinfo:
        record_purchase(customer, occurred_at=NOW, total="10.00", lines=[Line("9.00")])
    assert "not the sum of the lines" in errors_of(excinfo)["total"][0]
    ok = record_purchase(customer, occurred_at=NOW, total="9", lines=[Line("9.00")])
    assert ok.total == Decimal("9.00")
    assert record_purchase(customer, occurred_at=NOW, total=0).total == Decimal("0.00")


@time_machine.travel(NOW, tick=False)
def test_a_naive_time_is_business_time(customer):
    purchase = record_purchase(customer, occurred_at=dt.datetime(2025, 3, 1, 15, 0), total=1)  # noqa: DTZ001
    assert purchase.occurred_at == dt.datetime(2025, 3, 1, 14, 0, tzinfo=dt.UTC)


# ---------------------------------------------------------------- history and totals


@time_machine.travel(NOW, tick=False)
def test_history_pages_newest_first_with_a_cursor(customer, rep):
    other = save_customer(Customer(owner=rep, first_name="Other"))
    record_purchase(other, occurred_at=NOW, total=1)
    made = [
        record_purchase(customer, occurred_at=dt.date(2024, 1, 1 + i % 3), total=i)
        for i in range(7)
    ]
    expected = sorted(made, key=lambda p: (p.occurred_at, p.pk), reverse=True)
    seen, cursor = [], ""
    while True:
        page = services.purchase_page(customer, cursor=cursor, limit=3)
        seen += page.items
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [p.pk for p in seen] == [p.pk for p in expected]
    with pytest.raises(BadCursor):
        services.purchase_page(customer, cursor="nonsense")


@time_machine.travel(NOW, tick=False)
def test_totals_per_currency_with_the_business_currency_first(customer):
    assert services.purchase_totals(customer).count == 0
    record_purchase(customer, occurred_at=dt.date(2023, 5, 1), total="10.10")
    record_purchase(customer, occurred_at=dt.date(2024, 5, 1), total="20.20")
    record_purchase(customer, occurred_at=dt.date(2024, 6, 1), total="5", currency="USD")
    record_purchase(customer, occurred_at=dt.date(2024, 7, 1), total="5", currency="USD")
    totals = services.purchase_totals(customer)
    assert totals.count == 4
    assert totals.first.date() == dt.date(2023, 5, 1)
    assert totals.last.date() == dt.date(2024, 7, 1)
    assert [(r.currency, r.count, r.total, r.average) for r in totals.revenue] == [
        ("EUR", 2, Decimal("30.30"), Decimal("15.15")),
        ("USD", 2, Decimal("10.00"), Decimal("5.00")),
    ]


# ---------------------------------------------------------------- products


def test_a_new_version_supersedes_the_latest_by_default(db):
    product = services.add_product(name=" Conference   camera ", sku=" CAM ", category="Hardware")
    assert (product.name, product.sku) == ("Conference camera", "CAM")
    c2 = services.add_version(product, label="C200", released_on=dt.date(2021, 3, 1))
    c3 = services.add_version(product, label="C300", released_on=dt.date(2023, 4, 1))
    c4 = services.add_version(product, label="C400")
    assert c2.supersedes is None and c3.supersedes == c2 and c4.supersedes == c3
    first = services.add_version(product, label="C100", supersedes=None)
    assert first.supersedes is None
    with pytest.raises(ValidationError) as excinfo:
        services.add_version(product, label="C300")
    assert "label" in errors_of(excinfo)


def test_a_version_cannot_supersede_another_product_or_make_a_loop(db):
    a = services.add_product(name="A")
    b = services.add_product(name="B")
    a1 = services.add_version(a, label="1")
    a2 = services.add_version(a, label="2")
    b1 = services.add_version(b, label="1")
    with pytest.raises(ValidationError, match="same product"):
        services.add_version(a, label="3", supersedes=b1)
    with pytest.raises(ValidationError, match="itself or a later one"):
        services.save_version(a1, supersedes=a2)
    with pytest.raises(ValidationError, match="itself"):
        services.save_version(a1, supersedes=a1)


def test_skus_are_unique_and_blank_is_none(db):
    services.add_product(name="One", sku="X1")
    assert services.add_product(name="Two", sku="  ").sku is None
    assert services.add_product(name="Three", sku="").sku is None
    with pytest.raises(ValidationError) as excinfo:
        services.add_product(name="Four", sku="X1")
    assert "sku" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.add_product(name="  ")
    assert "name" in errors_of(excinfo)


def test_find_or_create_by_sku_then_name(db):
    printer = services.add_product(name="Printer", sku="PRN")
    assert services.find_or_create_product(sku="PRN", name="Anything") == printer
    assert services.find_or_create_product(name="printer") == printer
    toner = services.add_product(name="Toner")
    assert services.find_or_create_product(sku="TON-1", name="TONER") == toner
    made = services.find_or_create_product(sku="NEW-1")
    assert (made.name, made.sku) == ("NEW-1", "NEW-1")
    # Another SKU is another product, even with the same name.
    other = services.find_or_create_product(sku="PRN-2", name="Printer")
    assert other != printer
    with pytest.raises(ValidationError, match="Several products"):
        services.find_product(name="Printer")
    assert Product.objects.count() == 4


def test_find_or_create_version(db):
    product = services.add_product(name="Toner")
    v = services.find_or_create_version(product, " Black  XL ")
    assert v.label == "Black XL"
    assert services.find_or_create_version(product, "Black XL") == v
    assert services.find_or_create_version(product, "").label == services.UNVERSIONED
    assert ProductVersion.objects.count() == 2
