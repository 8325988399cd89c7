"""Answering a survey on a phone in a real Chromium: tap a score, add a comment, send.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import pytest

from conftest import make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Business, Role
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.surveys import services
from lifelong.surveys.models import Kind, Response, Survey
from lifelong.touches.models import Touch

pytestmark = [pytest.mark.browser, needs_chromium]

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_a_customer_answers_on_a_phone(live_server, browser, screenshot_dir):
    business = Business.get()
    business.name = "Holm Insurance"
    business.postal_address = "Storgatan 1, 111 22 Stockholm"
    business.save()
    rep = make_user("ruben", Role.REP, first_name="Ruben")
    anna = save_customer(Customer(owner=rep, first_name="Anna", last_name="Berg"))
    survey = services.save_survey(Survey(name="Customer satisfaction (NPS)", kind=Kind.NPS))
    invitation = services.invitation_for(survey, anna, "link:phone")

    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/surveys/r/{invitation.token}/")
    page.get_by_text("How likely are you to recommend Holm Insurance").wait_for()
    assert page_width(page) <= PHONE["width"], overflowing(page, PHONE["width"])
    nine = page.locator(".scores label").nth(9)
    box = nine.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44  # a thumb's tap target
    nine.tap()
    assert page.locator("input[name=score][value='9']").is_checked()
    page.fill("#id_comment", "Always quick to answer. Thank you!")
    page.screenshot(path=screenshot_dir / "survey-phone.png", full_page=True)
    page.get_by_role("button", name="Send my answer").tap()
    page.get_by_text("Thank you, Anna").wait_for()
    assert page_width(page) <= PHONE["width"], overflowing(page, PHONE["width"])
    page.screenshot(path=screenshot_dir / "survey-phone-thanks.png", full_page=True)

    r = Response.objects.get()
    assert (r.score, r.comment) == (9, "Always quick to answer. Thank you!")
    assert Touch.objects.get(customer=anna).summary == "Answered the NPS survey: 9"
