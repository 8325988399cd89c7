"""The audit log in a real Chromium: the owner opens a customer, then finds that view on
/audit/ through Settings, and filters it by customer.

Drives Debian's /usr/bin/chromium through Playwright. With LIFELONG_SCREENSHOTS=1 the
screenshot goes to docs/screenshots/audit.png, else to a tmp dir.
"""

from __future__ import annotations

import pytest

from conftest import log_in, make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Role
from lifelong.audit.log import record
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_the_owner_finds_their_view_of_a_customer_in_the_audit_log(
    live_server, browser, screenshot_dir
):
    make_user("eva", Role.OWNER, first_name="Eva", last_name="Lindqvist")
    rep = make_user("johan", Role.REP, first_name="Johan", last_name="Berg")
    karin = save_customer(Customer(owner=rep, first_name="Karin", last_name="Ek"))
    other = save_customer(Customer(owner=rep, first_name="Lars", last_name="Nyström"))
    record(rep, "view", customer_id=other.pk, target="customer", ip="192.0.2.10")
    record(rep, "change", customer_id=other.pk, target="customer.touches", ip="192.0.2.10")
    record(None, "export", target="export all", via="cli")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "eva")
    page.goto(f"{live_server.url}/customers/{karin.pk}/")
    page.locator("h1", has_text="Karin Ek").wait_for()

    page.click("nav.nav >> text=Settings")
    page.click("text=Audit log")
    page.wait_for_url(f"{live_server.url}/audit/")
    rows = page.locator("table.table tbody tr")
    assert rows.count() == 4
    newest = rows.first.inner_text()
    assert "eva" in newest and "Viewed" in newest and f"#{karin.pk}" in newest
    assert "Karin" not in page.inner_text("table.table")  # ids, never names
    page.screenshot(path=screenshot_dir / "audit.png", full_page=True)

    page.fill("#id_customer", str(other.pk))
    page.click("button:has-text('Filter')")
    page.wait_for_url(f"**/audit/?customer={other.pk}*")
    assert rows.count() == 2
    assert all("johan" in text for text in rows.all_inner_texts())
    assert errors == []

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server, "eva")
    phone.goto(f"{live_server.url}/audit/")
    phone.locator("table.table").wait_for()
    assert overflowing(phone, page_width(phone)) == []
