"""Today in a real Chromium: a ranked, explained list; Done logs a touch and the item leaves.

Drives Debian's /usr/bin/chromium through Playwright (never a browser Playwright downloads).
With LIFELONG_SCREENSHOTS=1 the screenshots go to docs/screenshots/, else to a tmp dir.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import log_in, make_user, needs_chromium, overflowing, page_width
from lifelong.accounts.models import Business, Role
from lifelong.customers import cadence
from lifelong.customers.models import Customer, ProfileQuestion, Relative
from lifelong.customers.services import save_customer, set_answer
from lifelong.touches.models import Touch

pytestmark = [pytest.mark.browser, needs_chromium]

PEOPLE = [
    # name, tier, value decile, days since the last touch (None: never)
    ("Karin Ek", "A", 10, 19),
    ("Lars Nyström", "A", 9, 16),
    ("Maria Sandberg", "B", 7, 44),
    ("Johan Åberg", "B", 6, 31),
    ("Elin Holm", "C", 3, 95),
    ("Peter Strand", "C", 2, None),
    ("Sofia Wallin", "A", 10, 2),
]


def seed(rep) -> dict[str, Customer]:
    business = Business.get()
    business.name = "Holm Insurance"
    business.save()
    now = timezone.now()
    made = {}
    for name, tier, rank, touched in PEOPLE:
        first, last = name.split(" ")
        c = save_customer(Customer(owner=rep, first_name=first, last_name=last))
        Customer.objects.filter(pk=c.pk).update(
            tier=tier,
            value_rank=rank,
            created_at=now - dt.timedelta(days=400),
            last_touched_at=now - dt.timedelta(days=touched) if touched is not None else None,
        )
        made[name] = c
    cadence.recompute_due()
    today = business.today()
    birthday = ProfileQuestion.objects.get(key="birthday")
    soon = today + dt.timedelta(days=3)
    set_answer(made["Sofia Wallin"], birthday, f"1979-{soon:%m-%d}", by=rep)
    Relative.objects.create(
        customer=made["Johan Åberg"], name="Ella", relationship="child",
        birthday=f"--{today:%m-%d}",
    )  # fmt: skip
    return made


@pytest.mark.django_db(transaction=True)
def test_today_ranks_explains_and_done_removes_the_item(live_server, browser, screenshot_dir):
    rep = make_user("sara", Role.REP, first_name="Sara", last_name="Lind")
    made = seed(rep)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "sara")  # lands on Today
    items = page.locator("ol.agenda > li")
    items.first.wait_for()
    texts = items.all_inner_texts()
    # The most valuable first (among them, the one most overdue), and every line says why.
    assert "Karin Ek" in texts[0] and "Contact overdue by 5 days" in texts[0]
    assert "Sofia Wallin" in texts[1] and "Birthday on" in texts[1]
    assert "Lars Nyström" in texts[2]
    assert any("Ella's birthday" in t and "today" in t for t in texts)
    assert all("Elin Holm" not in t for t in texts[:2])
    page.screenshot(path=screenshot_dir / "today.png", full_page=True)

    # Done on the first item: a touch is logged and the item leaves the list.
    first = items.first
    first.locator("select[name=channel]").select_option("visit")
    first.locator("button[value=done]").click()
    page.locator("li.agenda-done").wait_for()
    assert "Logged the visit with Karin Ek" in page.inner_text("li.agenda-done")
    touch = Touch.objects.get(customer=made["Karin Ek"])
    assert (touch.channel, touch.user_id) == ("visit", rep.pk)
    page.reload()
    items.first.wait_for()
    assert all("Karin Ek" not in t for t in items.all_inner_texts())

    # Snooze a week: it leaves the list too.
    target = page.locator("li.agenda-item", has_text="Elin Holm")
    target.locator("button[value='snooze:7']").click()
    page.locator("li.agenda-done", has_text="Elin Holm").wait_for()

    page.click("text=This week")
    page.wait_for_url(f"{live_server.url}/today/week/")
    assert page.locator("section.week-day").count() == 7
    assert "Sofia Wallin" in page.inner_text("section.week-day >> nth=3")
    page.screenshot(path=screenshot_dir / "week.png", full_page=True)
    assert errors == []

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server, "sara")
    phone.locator("ol.agenda > li").first.wait_for()
    assert overflowing(phone, page_width(phone)) == []
    phone.screenshot(path=screenshot_dir / "today-phone.png", full_page=True)
