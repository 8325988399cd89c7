"""Shared fixtures: three users (an owner, the rep who owns the customer, a rep who does not)."""

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from lifelong.accounts.models import Role, User
from lifelong.accounts.services import create_token
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

PASSWORD = "correct horse battery staple"  # noqa: S105


@pytest.fixture(autouse=True)
def default_questions(request) -> None:
    """The default profile sheet comes from a data migration, which the flush after a
    transactional test (browser tests, worker subprocesses) removes: put it back, so a
    test's result does not depend on which tests ran before it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from lifelong.customers.default_questions import DEFAULT_QUESTIONS
    from lifelong.customers.models import ProfileQuestion

    if ProfileQuestion.objects.filter(is_default=True).exists():
        return
    ProfileQuestion.objects.bulk_create(
        ProfileQuestion(
            section=section,
            key=key,
            text=text,
            kind=kind,
            choices=choices,
            position=i * 10,
            is_default=True,
        )
        for i, (section, key, text, kind, choices) in enumerate(DEFAULT_QUESTIONS)
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that are not about hashing need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str, **extra) -> User:
    user = User(username=username, role=role, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def owner(db) -> User:
    return make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")


@pytest.fixture
def rep(db) -> User:
    """The rep who owns `customer`."""
    return make_user("ruben", Role.REP, first_name="Ruben", last_name="Rep")


@pytest.fixture
def outsider(db) -> User:
    """A rep who owns none of the fixtures' customers: must get 404 everywhere."""
    return make_user("otto", Role.REP, first_name="Otto", last_name="Outsider")


@pytest.fixture
def manager(db) -> User:
    return make_user("maja", Role.MANAGER, first_name="Maja", last_name="Manager")


@pytest.fixture
def customer(rep) -> Customer:
    return save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Berg", company="Berg Bygg AB"),
        emails=["anna@berg.example"],
        phones=["+46701234567"],
        tags=["vip"],
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return client_for(owner)


@pytest.fixture
def rep_client(rep) -> Client:
    return client_for(rep)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return client_for(outsider)


def bearer(user: User) -> dict[str, str]:
    """Headers for the API as `user`, with a fresh token."""
    _, raw = create_token(user, "test")
    return {"Authorization": f"Bearer {raw}"}


# ---------------------------------------------------------------- browser tests
# They drive Debian's /usr/bin/chromium through Playwright (never a browser Playwright
# downloads); `make test` installs it with apt when it is missing.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"
)


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots/ when LIFELONG_SCREENSHOTS=1 (to refresh the docs), else a tmp dir."""
    if os.environ.get("LIFELONG_SCREENSHOTS") == "1":
        path = django_settings.PROJECT_DIR / "docs" / "screenshots"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    """A headless Chromium; use with the live_server fixture and transactional db."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made
    # here (fixtures, assertions) are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # ORM calls made while Playwright runs see another context, hence another
            # database connection; close it, or PostgreSQL cannot drop the test database.
            connections.close_all()
    # The live server answers each kept-alive browser connection in a thread that holds a
    # database connection until the socket closes; wait for them, or PostgreSQL refuses
    # to drop the test database at the end of the run.
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def overflowing(page, width: int) -> list[str]:
    """The elements that stick out past `width`, to say what to fix."""
    return page.evaluate(
        """(w) => Array.from(document.querySelectorAll("body *"))
            .filter(e => e.getBoundingClientRect().right > w + 0.5)
            .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)
            .slice(0, 10)""",
        width,
    )


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Log in through the form as `username`; returns on the page the login lands on (Today)."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/today/")
