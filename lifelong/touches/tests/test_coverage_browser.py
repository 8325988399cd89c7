"""The coverage page in a real Chromium, as the owner, on a small business's data.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshot goes to docs/screenshots/coverage.png.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from conftest import PASSWORD, make_user, needs_chromium, overflowing
from lifelong.accounts.models import Business, Role, User
from lifelong.customers.models import Customer, Status
from lifelong.touches.models import Touch

pytestmark = [pytest.mark.browser, needs_chromium]

FIRST = ["Karin", "Lars", "Maria", "Johan", "Elin", "Peter", "Sofia", "Erik", "Sara", "Nils"]
LAST = ["Ek", "Nyström", "Sandberg", "Åberg", "Holm", "Strand", "Wallin", "Lund", "Dahl"]


def seed(owners: list[User], n: int = 60) -> None:
    """n customers over three owners, touched more often lately, some never."""
    business = Business.get()
    business.name = "Holm Office Supplies"
    business.save()
    rng = random.Random(4)
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            owner=owners[i % len(owners)],
            first_name=FIRST[i % len(FIRST)],
            last_name=LAST[(i * 7) % len(LAST)],
            sort_name=f"{LAST[(i * 7) % len(LAST)]} {FIRST[i % len(FIRST)]}".lower(),
            status=Status.FORMER if i % 9 == 0 else Status.CUSTOMER,
            tier="ABBCCC "[i % 7].strip(),
            created_at=now - dt.timedelta(days=400 - i),
        )
        for i in range(n)
    )
    touches = []
    for i, c in enumerate(customers):
        if i % 11 == 3:
            continue  # never touched
        # Keeping in touch gets better over the year: more touches in recent months.
        for month in range(12):
            if rng.random() < 0.25 + month * 0.05:
                when = now - dt.timedelta(days=(11 - month) * 30 + rng.uniform(0, 29))
                touches.append(Touch(customer=c, channel="call", summary="Hi", occurred_at=when))
    Touch.objects.bulk_create(touches)
    latest = Touch.objects.filter(customer=OuterRef("pk")).values("customer")
    Customer.objects.update(
        last_touched_at=Subquery(latest.annotate(m=Max("occurred_at")).values("m"))
    )


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.django_db(transaction=True)
def test_the_coverage_page_in_chromium(live_server, browser, screenshot_dir, tmp_path):
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")
    reps = [
        make_user("sara", Role.REP, first_name="Sara", last_name="Lind"),
        make_user("johan", Role.REP, first_name="Johan", last_name="Ek"),
    ]
    seed([owner, *reps])

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "olivia")
    page.goto(f"{live_server.url}/touches/coverage/")
    headline = page.inner_text(".coverage-headline h2")
    assert "of your customers heard from you in the last 30 days — goal 100%" in headline
    assert page.locator(".chart-coverage svg rect.bar").count() == 12
    assert page.locator(".chart-coverage svg rect.bar.partial").count() == 1
    assert page.locator("#owners-title").count() == 1
    assert "Sara Lind" in page.inner_text("main")
    page.screenshot(path=screenshot_dir / "coverage.png", full_page=True)

    # A customer in the never-touched list opens their page.
    link = page.locator("section:has(#never-title) td.name-cell a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(f"{live_server.url}/customers/*/")
    assert name in page.inner_text("h1")

    # On a phone nothing sticks out sideways.
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server, "sara")
    phone.goto(f"{live_server.url}/touches/coverage/")
    assert phone.locator("#owners-title").count() == 0
    phone.screenshot(path=tmp_path / "coverage-phone.png", full_page=True)  # to look at
    assert overflowing(phone, 390) == []
    assert errors == []
