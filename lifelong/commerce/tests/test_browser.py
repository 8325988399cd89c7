"""Recording a purchase on the customer page in a real Chromium, and the Products page.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads),
set up as in lifelong/customers/tests/test_browser.py. With LIFELONG_SCREENSHOTS=1 the
screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import log_in, make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Role
from lifelong.commerce import services
from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.mark.django_db(transaction=True)
def test_record_a_purchase_on_the_customer_page(live_server, browser, screenshot_dir):
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")
    customer = save_customer(
        Customer(owner=owner, first_name="Karin", last_name="Ek", company="Ek & Söner")
    )
    camera = services.add_product(name="Conference camera", sku="CAM", category="Hardware")
    services.add_version(camera, label="C300", released_on=dt.date(2023, 4, 15))
    c400 = services.add_version(camera, label="C400", released_on=dt.date(2025, 5, 1))
    today = timezone.localdate()
    services.record_purchase(
        customer, occurred_at=today - dt.timedelta(days=40), total="89.00", channel="online"
    )

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    log_in(page, live_server, "olivia")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.locator("#purchases")
    assert "89.00" in panel.inner_text()
    assert panel.locator(".purchase").count() == 1

    # Record a purchase: it appears at the top without a reload, the totals follow.
    panel.locator("summary", has_text="Record a purchase").click()
    page.fill("#id_purchase-date", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_purchase-amount", "1 249,50")
    page.select_option("#id_purchase-channel", "field")
    page.select_option("#id_purchase-product_version", str(c400.pk))
    page.fill("#id_purchase-quantity", "2")
    page.screenshot(path=screenshot_dir / "purchase-form.png", full_page=True)
    page.click("button:has-text('Record purchase')")
    newest = panel.locator(".purchase").first
    newest.locator(".purchase-total", has_text="1,249.50").wait_for()
    assert "Conference camera" in newest.inner_text() and "C400" in newest.inner_text()
    assert "2 \u00d7" in newest.inner_text()
    assert panel.locator(".purchase").count() == 2
    stats = page.locator("#purchase-totals").inner_text()
    assert "1,338.50" in stats  # the revenue now counts both
    assert page.locator("#id_purchase-amount").input_value() == ""  # a fresh form
    purchase = Purchase.objects.get(total=Decimal("1249.50"))
    assert purchase.channel == "field" and purchase.lines.get().quantity == 2

    # A bad amount is refused in place.
    page.fill("#id_purchase-amount", "-3")
    page.click("button:has-text('Record purchase')")
    page.locator("#id_purchase-amount_error", has_text="negative").wait_for()
    assert Purchase.objects.count() == 2
    page.screenshot(path=screenshot_dir / "customer-purchases.png", full_page=True)

    # The Products page counts the owners of each version.
    page.click("nav.nav >> text=Products")
    page.wait_for_url(f"{live_server.url}/commerce/products/")
    row = page.locator(f"#version-{c400.pk}")
    assert row.locator(".owners").inner_text() == "1"
    page.screenshot(path=screenshot_dir / "products.png", full_page=True)

    # At phone width both pages still fit.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=screenshot_dir / "products-phone.png", full_page=True)
    assert page_width(page) <= 390, f"too wide at 390px: {overflowing(page, 390)}"
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert page_width(page) <= 390, f"too wide at 390px: {overflowing(page, 390)}"
    page.screenshot(path=screenshot_dir / "customer-purchases-phone.png", full_page=True)

    assert not errors, errors
