"""The segment editor's live count and a template preview, in a real Chromium.

With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import pytest

from conftest import log_in, make_user, needs_chromium
from lifelong.accounts.models import Business, Role
from lifelong.customers.models import Customer
from lifelong.outreach.models import Template
from lifelong.outreach.rendering import ensure_starter_templates
from lifelong.segments.models import Segment
from lifelong.segments.services import save_segment

from .helpers import person

pytestmark = [pytest.mark.browser, needs_chromium]

NAMES = [
    "Karin Ek", "Lars Holm", "Maria Lund", "Johan Dahl", "Elin Berg", "Peter Strand",
    "Sofia Wallin", "Anna Sandberg", "Erik Nyström", "Sara Åberg", "Nils Lind", "Ida Sjöberg",
]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_live_count_follows_the_filters(live_server, browser, screenshot_dir):
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")
    rep = make_user("sara", Role.REP, first_name="Sara", last_name="Lind")
    business = Business.get()
    business.name = "Holm Office Supplies"
    business.save()
    for i, name in enumerate(NAMES):
        first, last = name.split()
        c = person(rep if i % 2 else owner, first, tags=["vip"] if i % 3 == 0 else [])
        Customer.objects.filter(pk=c.pk).update(
            last_name=last, sort_name=f"{last} {first}".lower(), tier="ABC"[i % 3],
            company=f"{last} AB" if i % 4 == 0 else "", email_consent=i % 2 == 0,
        )  # fmt: skip
    segment = save_segment(Segment(), name="VIP customers", filters={"tags": ["vip"]}, by=owner)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "olivia")
    page.goto(f"{live_server.url}/segments/{segment.pk}/edit/")
    count = page.locator("#live-count-number")
    assert count.inner_text() == "4"

    page.check("input[name=tier][value=A]")  # vip and tier A: 0, 3, 6, 9 are all A
    page.wait_for_function("document.querySelector('#live-count-number')?.innerText === '4'")
    page.uncheck("input[name=tier][value=A]")
    page.select_option("#id_tags", [])
    page.wait_for_function("document.querySelector('#live-count-number')?.innerText === '12'")
    page.select_option("#id_consent", "yes")
    page.wait_for_function("document.querySelector('#live-count-number')?.innerText === '6'")
    page.fill("#id_not_touched_for_days", "0")
    page.locator(".live-invalid").wait_for()
    page.fill("#id_not_touched_for_days", "30")
    page.wait_for_function("document.querySelector('#live-count-number')?.innerText === '6'")
    assert page.locator(".segment-preview li").count() == 6
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays at the top
    page.screenshot(path=screenshot_dir / "segment.png", full_page=True)

    page.fill("#id_name", "Consenting, not touched for a month")
    # Typing asks for a count too; let it answer before leaving the page, or the browser
    # aborts it and htmx logs the aborted request as an error.
    page.wait_for_timeout(400)
    page.wait_for_load_state("networkidle")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/segments/{segment.pk}/")
    segment.refresh_from_db()
    assert segment.filters == {"not_touched_for_days": 30, "consent": "yes"}

    ensure_starter_templates()
    birthday = Template.objects.get(key="birthday")
    page.goto(f"{live_server.url}/outreach/templates/{birthday.pk}/?q=karin")
    page.click(".pick-list a")
    page.locator(".preview-subject").wait_for()
    assert page.inner_text(".preview-subject") == "Happy birthday, Karin!"
    frame = page.frame_locator("iframe[sandbox]")
    assert "Dear Karin," in frame.locator("body").inner_text()
    page.screenshot(path=screenshot_dir / "template-preview.png", full_page=True)
    assert errors == []
