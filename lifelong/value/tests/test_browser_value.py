"""The Value page, the forecast check and the customer's Value card in a real Chromium.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from conftest import log_in, make_user, needs_chromium, overflowing
from lifelong.accounts.models import Business, Role, User
from lifelong.customers.models import Customer
from lifelong.value.records import ValueSnapshot

from .purchases import bulk_buy

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]

FIRST = [
    "Karin",
    "Lars",
    "Maria",
    "Johan",
    "Elin",
    "Peter",
    "Sofia",
    "Anna",
    "Erik",
    "Sara",
    "Nils",
    "Ida",
    "Oskar",
    "Maja",
    "Hugo",
]
LAST = [
    "Ek",
    "Nyström",
    "Sandberg",
    "Åberg",
    "Holm",
    "Strand",
    "Wallin",
    "Berg",
    "Lund",
    "Lindqvist",
    "Sjöberg",
    "Dahl",
]


def seed(owner: User, rep: User, n: int = 160) -> None:
    """n customers with two years of purchases: a few regulars, many occasional buyers."""
    business = Business.get()
    business.name = "Holm Office Supplies"
    business.save()
    rng = np.random.default_rng(2005)
    today = timezone.localdate()
    names = [(FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + 5 * i) % len(LAST)]) for i in range(n)]
    customers = Customer.objects.bulk_create(
        Customer(
            owner=rep if i % 3 == 0 else owner,
            first_name=first,
            last_name=last,
            company="" if i % 4 else f"{LAST[(i * 7 + 3) % len(LAST)]} Kontor AB",
            sort_name=f"{last} {first}".lower(),
        )
        for i, (first, last) in enumerate(names)
    )
    rows = []
    for c in customers:
        day = today - dt.timedelta(days=int(rng.integers(30, 730)))
        rate, dropout = rng.gamma(0.9, 0.025), rng.beta(1.0, 5.0)
        spend = rng.gamma(3.0, 60.0)
        while day <= today:
            when = dt.datetime.combine(day, dt.time(11), tzinfo=business.tzinfo)
            rows.append((c.pk, when, float(rng.gamma(6.0, spend / 6.0)) + 5))
            if rng.random() < dropout:
                break
            day += dt.timedelta(days=1 + int(rng.exponential(1 / rate)))
    bulk_buy((c, w, t) for c, w, t in rows if w.date() <= today)


@pytest.mark.django_db(transaction=True)
def test_the_value_pages_in_chromium(live_server, browser, screenshot_dir):
    owner = make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")
    rep = make_user("sara", Role.REP, first_name="Sara", last_name="Lind")
    seed(owner, rep)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "olivia")

    # Before the first refresh: the empty state says what to do.
    page.click("nav >> text=Value")
    page.wait_for_url(f"{live_server.url}/value/")
    assert "Run lifelong value refresh or press Refresh" in page.inner_text("main")

    page.click("button:has-text('Refresh now')")
    page.locator("text=of your customers bring").wait_for()
    assert "Values refreshed for 160 customers" in page.inner_text(".messages")
    headline = page.inner_text(".value-headline h2")
    assert headline.startswith("The top 20% of your customers bring")
    assert page.locator(".chart-pareto svg path.curve").count() == 1
    assert page.locator("svg rect.bar").count() == 20
    assert page.locator(".rfm-grid td").count() == 25
    assert page.locator(".value-tiers tbody tr").count() == 3
    page.screenshot(path=screenshot_dir / "value.png", full_page=True)

    # The most valuable customer's page has the Value card above the touches.
    top = ValueSnapshot.objects.order_by("-clv_2y").select_related("customer").first()
    page.click(f"text={top.customer.display_name} >> nth=0")
    page.wait_for_url(f"{live_server.url}/customers/{top.customer_id}/")
    card = page.locator("#value")
    assert "over the next two years" in card.inner_text()
    assert "Tier A" in card.inner_text()
    assert page.evaluate(
        "document.querySelector('#value').compareDocumentPosition("
        "document.querySelector('#timeline-card')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    card.screenshot(path=screenshot_dir / "value-customer.png")

    # The forecast check: the last 26 weeks as holdout by default.
    page.goto(f"{live_server.url}/value/holdout/")
    page.locator("text=Repeat purchases per customer in the holdout").wait_for()
    assert page.locator("svg rect.bar-actual").count() == 8
    assert page.locator("svg rect.bar-predicted").count() == 8
    page.screenshot(path=screenshot_dir / "value-holdout.png", full_page=True)

    # A rep sees only their own customers' value, and no Refresh button.
    page.click("text=Log out")
    log_in(page, live_server, "sara")
    page.goto(f"{live_server.url}/value/")
    assert page.locator("button:has-text('Refresh now')").count() == 0
    mine = ValueSnapshot.objects.filter(customer__owner__username="sara").count()
    assert f"{mine} customers with purchases" in page.inner_text(".value-headline")

    # On a phone nothing sticks out sideways.
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server, "olivia")
    phone.goto(f"{live_server.url}/value/")
    phone.screenshot(path=screenshot_dir / "value-phone.png", full_page=True)
    assert overflowing(phone, 390) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # the tiers table fits without scrolling sideways
    assert phone.evaluate(
        "(() => { const w = document.querySelector('.value-tiers').parentElement;"
        " return w.scrollWidth <= w.clientWidth; })()"
    )
    assert errors == []
