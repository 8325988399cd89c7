"""Possible duplicates in a real Chromium: find the pair, compare, merge, see both timelines.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import log_in, make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Role
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.touches.services import log_touch

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_merge_a_pair_and_see_both_timelines(live_server, browser, screenshot_dir):
    rep = make_user("sara", Role.REP, first_name="Sara", last_name="Lind")
    now = timezone.now()
    keep = save_customer(
        Customer(owner=rep, first_name="Karin", last_name="Ek", company="Ek Bygg AB"),
        emails=["karin@ekbygg.se"], phones=["+46701234567"],
    )  # fmt: skip
    other = save_customer(
        Customer(owner=rep, first_name="Karin", last_name="Ek", city="Lund"),
        emails=["karin.ek@gmail.com", "karin@ekbygg.se"],
    )  # fmt: skip
    save_customer(
        Customer(owner=rep, first_name="Lars", last_name="Nyström"), emails=["lars@nystrom.se"]
    )
    save_customer(
        Customer(owner=rep, first_name="Lars", last_name="Nystrom"), emails=["lars@nystrm.se"]
    )
    log_touch(keep, user=rep, channel="call", summary="Quote for the roof",
              occurred_at=now - dt.timedelta(days=20))  # fmt: skip
    log_touch(other, user=rep, channel="meeting", summary="Lunch at the fair",
              occurred_at=now - dt.timedelta(days=3))  # fmt: skip

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "sara")
    page.goto(f"{live_server.url}/customers/")
    page.click("text=Possible duplicates")
    page.wait_for_url(f"{live_server.url}/customers/duplicates/")
    pairs = page.locator("li.dup-pair")
    assert pairs.count() == 2
    first = pairs.first.inner_text()
    assert "Karin Ek" in first and "Same email karin@ekbygg.se" in first
    assert "Same name, no company on either" in pairs.nth(1).inner_text()
    page.screenshot(path=screenshot_dir / "duplicates.png", full_page=True)

    pairs.first.locator("text=Merge…").click()
    page.wait_for_url(f"{live_server.url}/customers/duplicates/{keep.pk}/{other.pk}/merge/")
    table = page.inner_text("table.merge-table")
    assert "Lund" in table and "1 touch" in table and "2 emails" in table
    page.check(f"input[name=keep][value='{keep.pk}']")
    page.screenshot(path=screenshot_dir / "merge.png", full_page=True)
    with page.expect_navigation(url=f"{live_server.url}/customers/{keep.pk}/"):
        page.click("text=Merge into the record marked Keep")
    body = page.inner_text("main")
    assert f"Merged Karin Ek (#{other.pk}) into Karin Ek" in body
    assert "Quote for the roof" in body and "Lunch at the fair" in body
    assert "karin.ek@gmail.com" in body
    assert not Customer.objects.filter(pk=other.pk).exists()
    assert errors == []

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server, "sara")
    phone.goto(f"{live_server.url}/customers/duplicates/")
    phone.locator("li.dup-pair").first.wait_for()
    assert overflowing(phone, page_width(phone)) == []
