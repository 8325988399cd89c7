"""The Purchases panel on the customer page, recording and deleting, and the Products page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from lifelong.commerce import services
from lifelong.commerce.models import Product, ProductVersion, Purchase
from lifelong.commerce.services import Line, record_purchase
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

HTMX = {"HX-Request": "true"}
NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def printer(db) -> ProductVersion:
    product = services.add_product(name="Office printer", sku="PRN", category="Hardware")
    services.add_version(product, label="P6", released_on=dt.date(2022, 10, 1))
    return services.add_version(product, label="P7", released_on=dt.date(2024, 9, 15))


def page(client, customer, query: str = "") -> str:
    response = client.get(reverse("customers:detail", args=[customer.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def purchase_data(**overrides) -> dict:
    data = {
        "date": "2025-03-10",
        "amount": "1 249,50",
        "currency": "EUR",
        "channel": "store",
        "product_version": "",
        "quantity": "1",
    }
    data.update(overrides)
    return {f"purchase-{name}": value for name, value in data.items()}


# ---------------------------------------------------------------- the panel


def test_the_panel_is_on_the_customer_page_after_the_timeline(rep_client, customer):
    html = page(rep_client, customer)
    assert 'id="purchases"' in html
    assert "No purchases yet" in html
    assert "Record a purchase" in html
    assert html.index("Log a touch") < html.index("<h2>Purchases</h2>")
    assert 'value="2025-03-14"' in html  # today in the business's zone
    assert 'name="purchase-currency"' in html and 'value="EUR"' in html
    assert "add products on the" in html  # no products yet: no product menu


def test_the_panel_shows_totals_and_lines(rep_client, customer, printer):
    record_purchase(customer, occurred_at=dt.date(2024, 1, 5), total="100.00")
    record_purchase(
        customer,
        occurred_at=dt.date(2025, 2, 1),
        lines=[Line("1200.00", 1, printer), Line("50.50", 2)],
    )
    record_purchase(customer, occurred_at=dt.date(2025, 2, 2), total="9", currency="USD")
    html = page(rep_client, customer)
    stats = re.search(r'<dl class="purchase-stats">.*?</dl>', html, re.S).group(0)
    assert ">3<" in stats  # purchases
    assert "1,350.50" in stats  # EUR revenue
    assert "675.25" in stats  # EUR average
    assert "5 Jan 2024" in stats and "2 Feb 2025" in stats
    assert "Also 9.00 USD in 1 purchase" in html
    assert 'Office printer <span class="muted">P7</span>' in html
    assert '2 \u00d7 <span class="muted">No product</span> · 50.50' in html
    assert "No purchases yet" in html  # present, hidden by CSS while there are purchases
    assert '<option value="' + str(printer.pk) + '">Office printer · P7</option>' in html


def test_older_purchases_page_with_the_cursor(rep_client, customer):
    for i in range(25):
        record_purchase(customer, occurred_at=dt.date(2024, 1, 1) + dt.timedelta(days=i), total=i)
    html = page(rep_client, customer)
    assert html.count('class="purchase"') == 10
    cursor = re.search(r"\?purchases=([^\"#]+)#purchases", html).group(1)
    older = page(rep_client, customer, f"?purchases={cursor}")
    assert "Back to the newest" in older
    items = older[older.index('id="purchase-items"') :]
    assert "15 Jan 2024" in items and "16 Jan 2024" not in items
    url = reverse("commerce:history", args=[customer.pk])
    fragment = rep_client.get(f"{url}?cursor={cursor}", headers=HTMX).content.decode()
    assert fragment.count('class="purchase"') == 10
    assert "Older purchases" in fragment
    # Without htmx the link leads back to the customer page at that page.
    response = rep_client.get(f"{url}?cursor={cursor}")
    assert response.status_code == 302 and f"?purchases={cursor}#purchases" in response.url
    # A cursor that does not fit starts again from the newest.
    assert "25 Jan 2024" in page(rep_client, customer, "?purchases=garbage")


# ---------------------------------------------------------------- recording


def test_recording_with_htmx_returns_the_entry_totals_and_a_fresh_form(
    rep_client, customer, printer
):
    url = reverse("commerce:record", args=[customer.pk])
    data = purchase_data(product_version=str(printer.pk), quantity="2")
    response = rep_client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    purchase = Purchase.objects.get()
    assert f'id="purchase-{purchase.pk}"' in body
    assert "1,249.50" in body and "Office printer" in body
    assert 'id="record-purchase"' in body and 'hx-swap-oob="true"' in body
    assert 'id="purchase-totals" hx-swap-oob="true"' in body
    assert purchase.total == Decimal("1249.50")
    assert purchase.channel == "store"
    assert purchase.occurred_at == dt.datetime(2025, 3, 10, 11, tzinfo=dt.UTC)  # noon CET
    line = purchase.lines.get()
    assert (line.product_version, line.quantity, line.amount) == (printer, 2, Decimal("1249.50"))


def test_recording_without_javascript_redirects(rep_client, customer):
    response = rep_client.post(reverse("commerce:record", args=[customer.pk]), purchase_data())
    assert response.status_code == 302
    assert response.url.endswith("#purchases")
    assert not Purchase.objects.get().lines.exists()  # no product chosen: no line
    full = rep_client.get(reverse("commerce:record", args=[customer.pk]))
    assert full.status_code == 200 and "Record a purchase by Anna Berg" in full.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "negative"),
        ({"amount": "lots"}, "amount", "not a number"),
        ({"date": "2025-03-15"}, "date", "in the future"),
        ({"currency": "E1"}, "currency", "three-letter"),
        ({"quantity": "0"}, "quantity", "greater than or equal to 1"),
        ({"product_version": "99999"}, "product_version", "Select a valid choice"),
    ],
)
def test_a_bad_purchase_is_shown_in_the_form(
    rep_client, customer, printer, overrides, field, message
):
    url = reverse("commerce:record", args=[customer.pk])
    response = rep_client.post(url, purchase_data(**overrides), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#record-purchase"
    body = response.content.decode()
    error = re.search(rf'<p class="error" id="id_purchase-{field}_error">(.*?)</p>', body)
    assert error and message in error.group(1), body
    assert not Purchase.objects.exists()


def test_deleting_asks_first(rep_client, customer):
    purchase = record_purchase(customer, occurred_at=dt.date(2025, 1, 1), total="10")
    url = reverse("commerce:delete", args=[customer.pk, purchase.pk])
    confirm = rep_client.get(url).content.decode()
    assert "Delete this purchase?" in confirm and "10.00 EUR on 2025-01-01" in confirm
    assert Purchase.objects.exists()
    response = rep_client.post(url)
    assert response.status_code == 302 and response.url.endswith("#purchases")
    assert not Purchase.objects.exists()


def test_a_purchase_of_another_customer_is_404_through_this_one(rep_client, customer, rep):
    other = save_customer(Customer(owner=rep, first_name="Second"))
    purchase = record_purchase(other, occurred_at=dt.date(2025, 1, 1), total="10")
    url = reverse("commerce:delete", args=[customer.pk, purchase.pk])
    assert rep_client.post(url).status_code == 404
    assert Purchase.objects.exists()


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "history", ()),
        ("get", "record", ()),
        ("post", "record", ()),
        ("get", "delete", ("p",)),
        ("post", "delete", ("p",)),
    ],
)
def test_the_outsider_gets_404_on_every_customer_view(
    outsider_client, customer, method, name, extra
):
    purchase = record_purchase(customer, occurred_at=dt.date(2025, 1, 1), total="10")
    args = [customer.pk, *(purchase.pk for _ in extra)]
    url = reverse(f"commerce:{name}", args=args)
    data = purchase_data() if method == "post" else None
    response = getattr(outsider_client, method)(url, data, headers=HTMX)
    assert response.status_code == 404
    assert Purchase.objects.get() == purchase
    assert customer.purchases.count() == 1


def test_the_outsider_does_not_see_the_panel(outsider_client, customer):
    assert outsider_client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404


def test_views_need_a_login(client, customer):
    for url in [
        reverse("commerce:record", args=[customer.pk]),
        reverse("commerce:history", args=[customer.pk]),
        reverse("commerce:products"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


# ---------------------------------------------------------------- products


def test_everybody_reads_the_catalogue_with_owner_counts(rep_client, rep, customer, printer):
    other = save_customer(Customer(owner=rep, first_name="Carl"))
    for c in (customer, customer, other):
        record_purchase(c, occurred_at=dt.date(2025, 1, 1), lines=[Line("10", 1, printer)])
    html = rep_client.get(reverse("commerce:products")).content.decode()
    assert "Office printer" in html and "PRN" in html and "Hardware" in html
    row = re.search(rf'<tr id="version-{printer.pk}">.*?</tr>', html, re.S).group(0)
    assert "P7" in row and "15 Sep 2024" in row and "P6" in row  # supersedes P6
    assert '<td class="num owners">2</td>' in row  # two customers, three purchases
    assert "+ New product" not in html and "Edit" not in html


def test_a_rep_counts_only_their_own_customers(rep_client, outsider, printer):
    theirs = save_customer(Customer(owner=outsider, first_name="Their"))
    record_purchase(theirs, occurred_at=dt.date(2025, 1, 1), lines=[Line("10", 1, printer)])
    html = rep_client.get(reverse("commerce:products")).content.decode()
    assert '<td class="num owners">0</td>' in html


def test_the_empty_catalogue(rep_client, owner_client):
    assert "No products yet" in rep_client.get(reverse("commerce:products")).content.decode()
    html = owner_client.get(reverse("commerce:products")).content.decode()
    assert "+ Add the first product" in html


def test_products_in_the_nav(rep_client):
    html = rep_client.get(reverse("commerce:products")).content.decode()
    assert re.search(r'<a href="/commerce/products/" aria-current="page">Products</a>', html)


@pytest.mark.parametrize(
    "name", ["product_new", "product_edit", "product_version_new", "product_version_edit"]
)
def test_a_rep_may_not_change_the_catalogue(rep_client, printer, name):
    args = {
        "product_new": [],
        "product_edit": [printer.product_id],
        "product_version_new": [printer.product_id],
        "product_version_edit": [printer.product_id, printer.pk],
    }[name]
    url = reverse(f"commerce:{name}", args=args)
    assert rep_client.get(url).status_code == 403
    assert rep_client.post(url, {"name": "Hacked", "label": "Hacked"}).status_code == 403
    assert not Product.objects.filter(name="Hacked").exists()
    assert not ProductVersion.objects.filter(label="Hacked").exists()


def test_a_manager_adds_a_product_and_versions(manager):
    from conftest import client_for

    client = client_for(manager)
    response = client.post(
        reverse("commerce:product_new"),
        {"name": "Conference camera", "sku": "CAM", "category": "Hardware"},
    )
    product = Product.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"#product-{product.pk}")
    url = reverse("commerce:product_version_new", args=[product.pk])
    client.post(url, {"label": "C300", "released_on": "2023-04-15", "supersedes": ""})
    c3 = ProductVersion.objects.get(label="C300")
    form = client.get(url).content.decode()
    assert f'<option value="{c3.pk}" selected>C300</option>' in form  # the latest by default
    client.post(url, {"label": "C400", "released_on": "2025-05-01", "supersedes": str(c3.pk)})
    c4 = ProductVersion.objects.get(label="C400")
    assert c4.supersedes == c3
    again = client.post(url, {"label": "C400", "supersedes": ""})
    assert again.status_code == 200
    assert "already has a version so labelled" in again.content.decode()
    edit = reverse("commerce:product_version_edit", args=[product.pk, c3.pk])
    looped = client.post(edit, {"label": "C300", "supersedes": str(c4.pk)})
    assert "itself or a later one" in looped.content.decode()
    client.post(reverse("commerce:product_edit", args=[product.pk]), {"name": "Camera", "sku": ""})
    product.refresh_from_db()
    assert (product.name, product.sku) == ("Camera", None)


def test_a_duplicate_sku_is_refused(owner_client, printer):
    response = owner_client.post(reverse("commerce:product_new"), {"name": "Other", "sku": "PRN"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Product.objects.count() == 1
