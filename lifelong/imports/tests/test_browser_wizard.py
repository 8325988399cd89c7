"""The import wizard in a real Chromium: upload a Google Contacts file, check the columns,
dry run, import with the progress bar, and find the people.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import log_in, make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Role
from lifelong.customers.models import Customer

pytestmark = [pytest.mark.browser, needs_chromium]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.django_db(transaction=True)
def test_the_import_wizard_in_chromium(live_server, browser, screenshot_dir):
    make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Berg")
    google = next(FIXTURES.glob("google*.csv"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server, "olivia")
    page.click("nav >> text=Customers")
    page.click("text=Import")
    page.wait_for_url(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(google))
    page.click("button:has-text('Upload and preview')")
    page.locator("text=Read as a Google Contacts export").wait_for()
    assert page.locator(".import-preview tbody tr").count() >= 1
    # A wide file scrolls inside its table; the page itself stays the window's width.
    assert page_width(page) <= 1280, overflowing(page, 1280)
    page.screenshot(path=screenshot_dir / "import-mapping.png", full_page=True)
    page.click("button:has-text('Check with a dry run')")
    page.locator("text=Dry run: nothing written yet").wait_for()
    assert Customer.objects.count() == 0
    page.screenshot(path=screenshot_dir / "import-dry-run.png", full_page=True)
    page.click("#dry-run button[type=submit]")
    page.locator("text=See your customers").wait_for(timeout=30_000)
    assert Customer.objects.count() >= 1
    page.screenshot(path=screenshot_dir / "import-done.png", full_page=True)
    page.click("text=See your customers")
    first = Customer.objects.order_by("sort_name").first()
    page.locator(f"text={first.display_name}").first.wait_for()
    assert errors == []
