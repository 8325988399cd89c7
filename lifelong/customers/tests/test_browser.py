"""The main flow in a real Chromium: log in, add a customer, log a touch, answer, add a relative.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from conftest import log_in, make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Business, Role, User
from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import ContactPoint, save_customer, set_answer
from lifelong.touches.services import log_touch

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


def seed(owner: User) -> None:
    """A handful of customers with history, so the screenshots look like a business."""
    business = Business.get()
    business.name = "Holm Insurance"
    business.save()
    rep = make_user("sara", Role.REP, first_name="Sara", last_name="Lind")
    now = timezone.now()
    people = [
        ("Karin", "Ek", "Ek & Söner", "customer", ["vip"], 2),
        ("Lars", "Nyström", "Nyström Bygg", "customer", ["newsletter"], 35),
        ("Maria", "Sandberg", "", "prospect", [], None),
        ("Johan", "Åberg", "Åberg Consulting", "customer", ["vip", "golf"], 11),
        ("Elin", "Holm", "Holm Design AB", "former", [], 400),
        ("Peter", "Strand", "Strand Marin", "customer", ["boat"], 64),
        ("Sofia", "Wallin", "", "customer", ["newsletter"], 5),
    ]
    questions = {q.key: q for q in ProfileQuestion.objects.all()}
    for i, (first, last, company, status, tags, days) in enumerate(people):
        slug = re.sub(r"[^a-z]", "", first.lower())
        customer = save_customer(
            Customer(
                owner=owner if i % 2 else rep,
                first_name=first,
                last_name=last,
                company=company,
                status=status,
                email_consent=i % 3 != 0,
            ),
            emails=[ContactPoint(f"{slug}@example.com", "work")],
            phones=[f"+4670{1234560 + i * 1111}"],
            tags=tags,
        )
        if days is not None:
            log_touch(
                customer,
                user=owner,
                channel=["call", "email", "meeting"][i % 3],
                summary="Quarterly check-in",
                occurred_at=now - dt.timedelta(days=days),
            )
        set_answer(customer, questions["hometown"], "Uppsala", by=owner)
        if i % 2:
            set_answer(customer, questions["hobbies"], "Sailing, jazz", by=owner)


@pytest.mark.django_db(transaction=True)
def test_main_flow_in_chromium(live_server, browser, screenshot_dir):
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")
    seed(owner)

    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Log in through the form.
    log_in(page, live_server, "olivia")
    page.click("nav >> text=Customers")
    page.wait_for_url(f"{live_server.url}/customers/")
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"
    page.locator("text=Karin Ek").wait_for()
    page.screenshot(path=screenshot_dir / "list.png", full_page=True)

    # Live search narrows the list without a page load.
    page.fill("#id_q", "nyström")
    page.locator("#results >> text=Karin Ek").wait_for(state="detached")
    assert page.locator("#results").inner_text().count("Lars Nyström") == 1
    page.fill("#id_q", "")

    # Create a customer.
    page.click("text=+ New customer")
    page.wait_for_url(f"{live_server.url}/customers/new/")
    page.fill("#id_first_name", "Anna")
    page.fill("#id_last_name", "Berg")
    page.fill("#id_company", "Berg Bygg AB")
    page.fill("#id_job_title", "Managing director")
    page.fill("#id_email_0", "anna@berg.example")
    page.select_option("#id_email_label_0", "work")
    page.fill("#id_phone_0", "070-123 45 67")
    page.fill("#id_tags", "vip, golf")
    page.fill("#id_how_we_met", "Met at the Uppsala trade fair")
    page.check("#id_email_consent")
    page.fill("#id_email_consent_source", "Signed form at the fair")
    page.screenshot(path=screenshot_dir / "new-customer.png", full_page=True)
    page.click("button:has-text('Add customer')")
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(first_name="Anna", last_name="Berg")
    assert page.locator("h1").inner_text().startswith("Anna Berg")
    assert page.locator("a[href='tel:+46701234567']").count() == 1

    # Log a touch: it appears at the top of the timeline without a reload.
    page.select_option("#id_channel", "meeting")
    page.fill("#id_summary", "Lunch to talk about the new office")
    page.fill("#id_outcome", "Wants a quote for the fleet before May")
    page.click("button:has-text('Log touch')")
    page.locator("#timeline-items .touch-summary", has_text="Lunch to talk").wait_for()
    assert page.locator("#last-touched").inner_text().startswith("Last touched")
    customer.refresh_from_db()
    assert customer.last_touched_at is not None
    assert page.locator("#id_summary").input_value() == ""  # a fresh form

    # Answer a profile question in place.
    birthday = ProfileQuestion.objects.get(key="birthday")
    row = page.locator(f"#q-{birthday.pk}")
    row.locator(".edit-link").click()
    field = page.locator(f"#q-{birthday.pk} input[name=value]")
    field.fill("April 3")
    page.locator(f"#q-{birthday.pk} button:has-text('Save')").click()
    page.locator(f"#q-{birthday.pk} .error").wait_for()  # a bad date is refused inline
    page.locator(f"#q-{birthday.pk} input[name=value]").fill("--04-03")
    page.locator(f"#q-{birthday.pk} button:has-text('Save')").click()
    page.locator(f"#q-{birthday.pk} .a", has_text="3 April").wait_for()
    assert customer.answers.get(question=birthday).value == "--04-03"

    # Answer from the "What we don't know yet" list too.
    hometown = ProfileQuestion.objects.get(key="hometown")
    page.locator("#profile-summary .unknown-list a", has_text=hometown.text).click()
    page.locator(f"#q-{hometown.pk} textarea[name=value]").fill("Uppsala")
    page.locator(f"#q-{hometown.pk} button:has-text('Save')").click()
    page.locator(f"#q-{hometown.pk} .a", has_text="Uppsala").wait_for()
    assert "3%" in page.locator("#profile-summary .completeness-number").inner_text()

    # Add a relative.
    page.click("summary:has-text('Add a family member')")
    page.fill("#relatives #id_name", "Erik Berg")
    page.select_option("#relatives #id_relationship", "child")
    page.fill("#relatives #id_birthday", "2012-06-01")
    page.click("#relatives button:has-text('Add')")
    page.wait_for_url(re.compile(r"/customers/\d+/#relatives$"))
    page.locator("#relatives .who", has_text="Erik Berg").wait_for()
    assert Relative.objects.get(customer=customer).name == "Erik Berg"

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.screenshot(path=screenshot_dir / "customer.png", full_page=True)

    # At phone width the page still fits: no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=screenshot_dir / "customer-phone.png")
    assert page_width(page) <= 390, f"too wide at 390px: {overflowing(page, 390)}"
    page.goto(f"{live_server.url}/customers/")
    page.screenshot(path=screenshot_dir / "list-phone.png")
    # The menu folds away behind a button.
    settings_link = page.locator("nav.nav >> text=Settings")
    assert not settings_link.is_visible()
    page.click(".nav-toggle-label")
    assert settings_link.is_visible()
    assert page_width(page) <= 390, f"too wide at 390px: {overflowing(page, 390)}"

    assert not errors, errors
