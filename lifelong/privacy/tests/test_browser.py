"""Erasing a customer in a real Chromium: the customer page, the confirmation page, the
list without them.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import log_in, make_user, needs_chromium
from lifelong.accounts.models import Role
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.outreach.compliance import Recipient, unsubscribe

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_erase_a_customer_through_the_confirmation_page(live_server, browser, screenshot_dir):
    boss = make_user("britt", Role.OWNER, first_name="Britt", last_name="Boss")
    gone = save_customer(
        Customer(owner=boss, first_name="Greta", last_name="Gone", company="Gone AB",
                 email_consent=True, email_consent_source="Signed at the fair"),
        emails=["greta@gone.example"], phones=["+46701112299"], consent_by=boss,
    )  # fmt: skip
    unsubscribe(Recipient(gone.pk, "greta@gone.example"), how="preference page")
    save_customer(Customer(owner=boss, first_name="Stig", last_name="Stays"))

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server, "britt")
    page.goto(f"{live_server.url}/customers/{gone.pk}/")
    panel = page.locator("#privacy")
    assert panel.get_by_text("Download everything we hold (JSON)").is_visible()
    assert panel.get_by_text("Signed at the fair").is_visible()  # given on the form
    assert panel.get_by_text("Preference page").is_visible()  # withdrawn by the link
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "privacy-panel.png"))

    panel.get_by_role("link", name="Erase…").click()
    page.wait_for_url(f"{live_server.url}/privacy/customers/{gone.pk}/erase/")
    page.get_by_role("button", name="Erase for good").click()  # nothing typed: refused
    assert Customer.objects.get(pk=gone.pk).erased_at is None
    page.fill("#erase-name", "Greta Gone")
    page.screenshot(path=str(screenshot_dir / "privacy-erase.png"), full_page=True)
    page.get_by_role("button", name="Erase for good").click()

    page.wait_for_url(f"{live_server.url}/customers/")
    assert page.get_by_text("Greta Gone's data was erased").is_visible()
    assert page.get_by_role("link", name="Stig Stays").is_visible()
    assert page.get_by_role("link", name="Greta Gone").count() == 0
    assert page.get_by_role("link", name=f"Customer #{gone.pk}").count() == 0
    page.screenshot(path=str(screenshot_dir / "privacy-erased-list.png"), full_page=True)
    assert Customer.objects.get(pk=gone.pk).erased_at is not None
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_the_retention_review_keeps_a_customer(live_server, browser, screenshot_dir):
    boss = make_user("britt", Role.OWNER, first_name="Britt", last_name="Boss")
    long_ago = timezone.now() - dt.timedelta(days=8 * 366)
    for first, last in [("Olle", "Old"), ("Alma", "Archived"), ("Frans", "Former")]:
        c = save_customer(Customer(owner=boss, first_name=first, last_name=last, status="former"))
        Customer.objects.filter(pk=c.pk).update(last_touched_at=long_ago, created_at=long_ago)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, live_server, "britt")
    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_role("link", name="Retention review").click()
    page.wait_for_url(f"{live_server.url}/privacy/retention/")
    page.screenshot(path=str(screenshot_dir / "privacy-retention.png"), full_page=True)
    row = page.get_by_role("row").filter(has_text="Olle Old")
    row.get_by_role("button", name="Keep (reviewed)").click()
    assert page.get_by_text("Olle Old kept; reviewed again in a year.").is_visible()
    assert page.get_by_role("link", name="Olle Old").count() == 0
    assert page.get_by_role("link", name="Alma Archived").is_visible()
