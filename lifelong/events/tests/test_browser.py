"""RSVP to an invitation in a real Chromium on a phone-sized screen, without logging in.

Drives Debian's /usr/bin/chromium through Playwright. With LIFELONG_SCREENSHOTS=1 the
screenshot goes to docs/screenshots/rsvp.png, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Business, Role
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.events import services
from lifelong.events.models import Event, Invitation, Kind

pytestmark = [pytest.mark.browser, needs_chromium]
PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_rsvp_to_an_invitation_on_a_phone(live_server, browser, screenshot_dir):
    business = Business.get()
    business.name = "Berg & Co"
    business.postal_address = "Storgatan 1\n111 22 Stockholm"
    business.save()
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")
    customer = save_customer(
        Customer(owner=owner, first_name="Karin", last_name="Ek"), emails=["karin@ek.example"]
    )
    start = (timezone.now() + dt.timedelta(days=21)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    event = Event.objects.create(
        name="Spring open house",
        kind=Kind.OPEN_HOUSE,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        place="Storgatan 1, Stockholm",
        capacity=30,
        description="Coffee, the new collection, and the team you usually only email.",
    )
    services.invite(event, Customer.objects.filter(pk=customer.pk), by=owner)
    invitation = Invitation.objects.get(customer=customer)
    url = live_server.url + reverse("events:rsvp", args=[services.rsvp_token(invitation)])

    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(url)
    assert page.get_by_role("heading", name="Spring open house").is_visible()
    assert page.get_by_text("Can you come?").is_visible()
    page.get_by_role("button", name="Yes, I'll come").click()
    status = page.get_by_role("status")
    status.wait_for()
    assert "You are coming" in status.inner_text()
    assert page_width(page) <= PHONE["width"], overflowing(page, PHONE["width"])
    page.screenshot(path=str(screenshot_dir / "rsvp.png"), full_page=True)

    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.waitlisted) == ("yes", False)
