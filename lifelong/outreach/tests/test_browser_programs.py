"""Programs in a real Chromium: create a program, run it, approve a draft, see it sent.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import pytest

from conftest import log_in, make_user, needs_chromium
from lifelong.accounts.models import Role
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.outreach.models import Message, MessageStatus
from lifelong.outreach.rendering import ensure_starter_templates
from lifelong.outreach.sending import Worker
from lifelong.segments.models import Segment

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_create_a_program_approve_a_draft_and_see_it_sent(
    live_server, browser, screenshot_dir, smtp_server, business
):
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Berg")
    for first, last in [("Karin", "Ek"), ("Lars", "Holm")]:
        save_customer(
            Customer(owner=owner, first_name=first, last_name=last, email_consent=True),
            emails=[f"{first.lower()}@example.com"],
        )
    ensure_starter_templates()
    Segment.objects.create(name="Said yes to email", filters={"consent": "yes"})

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "olivia")
    page.click("nav >> text=Outreach")
    page.wait_for_url(f"{live_server.url}/outreach/programs/")
    assert "No programs yet" in page.inner_text("main")
    page.click("text=+ New program")
    page.fill("#id_name", "Spring rates")
    page.select_option("#id_kind", "one_off")
    page.select_option("#id_template", label="Quarterly update")
    page.select_option("#id_segment", label="Said yes to email")
    page.select_option("#id_approval", "drafts")
    page.screenshot(path=screenshot_dir / "program-form.png", full_page=True)
    page.click("button:has-text('Save program')")
    page.locator("h1:has-text('Spring rates')").wait_for()
    assert "2 customers with an email address and consent" in page.inner_text("main")
    page.click("button:has-text('Run now')")
    page.locator("text=2 new drafts to review").wait_for()
    page.screenshot(path=screenshot_dir / "program.png", full_page=True)

    page.click("nav.filter-tabs >> text=Drafts to review")
    page.wait_for_url(f"{live_server.url}/outreach/drafts/")
    drafts = page.locator("li.draft")
    assert drafts.count() == 2
    page.screenshot(path=screenshot_dir / "drafts.png", full_page=True)
    karin = page.locator("li.draft", has_text="Karin Ek")
    karin.locator("button[value=approve]").click()
    page.locator("text=Approved: it goes to Karin Ek next.").wait_for()
    lars = page.locator("li.draft", has_text="Lars Holm")
    lars.locator("button[value=skip]").click()
    page.locator("text=Nothing to review").wait_for()

    # The worker's pass (lifelong worker --once) sends the approved one.
    assert Worker(batch=10).run(once=True).sent == 1
    assert [r.rcpt_tos for r in smtp_server.received] == [["karin@example.com"]]
    page.goto(f"{live_server.url}/outreach/outbox/?status=sent")
    assert "Karin Ek" in page.inner_text("main") and "Lars Holm" not in page.inner_text("main")
    page.screenshot(path=screenshot_dir / "outbox.png", full_page=True)
    assert Message.objects.get(customer__first_name="Lars").status == MessageStatus.SKIPPED
    assert errors == []
