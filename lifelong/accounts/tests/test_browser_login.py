"""Five wrong passwords in a real Chromium: the login page says to wait, and how long.

Drives Debian's /usr/bin/chromium through Playwright. With LIFELONG_SCREENSHOTS=1 the
screenshot goes to docs/screenshots/login-throttled.png, else to a tmp dir.
"""

from __future__ import annotations

import pytest

from conftest import PASSWORD, make_user, needs_chromium
from lifelong.accounts.models import LoginFailure, Role

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_five_wrong_passwords_show_when_to_try_again(live_server, browser, screenshot_dir):
    make_user("ruben", Role.REP, first_name="Ruben", last_name="Rep")
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    url = f"{live_server.url}/login/"
    page.goto(url)
    for attempt in range(1, 6):
        page.fill("#id_username", "ruben")
        page.fill("#id_password", f"not the password {attempt}")
        with page.expect_response(url) as answer:
            page.click("button[type=submit]")
        alert = page.get_by_role("alert")
        if attempt < 5:
            assert answer.value.status == 200
            assert "did not match" in alert.inner_text()
    assert answer.value.status == 429
    assert alert.inner_text() == "Too many failed sign-in attempts. Try again in 15 minutes."
    assert LoginFailure.objects.filter(username="ruben").count() == 5
    page.screenshot(path=str(screenshot_dir / "login-throttled.png"))

    # The right password is refused too until the time is up.
    page.fill("#id_username", "ruben")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    assert "Too many failed sign-in attempts" in page.get_by_role("alert").inner_text()
    assert page.url == url
