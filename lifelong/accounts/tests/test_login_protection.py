"""Login protection: throttled failures, session rotation and idle expiry, password rules."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from lifelong import settings as base_settings
from lifelong.accounts import services, throttle
from lifelong.accounts.models import LoginFailure, Role, User
from lifelong.demo import DEMO_PASSWORD, DEMO_USERNAME

HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
REFUSED = "Too many failed sign-in attempts. Try again in"
SHORT = "k3v!nQ8#zLp"  # 11 characters, otherwise unremarkable
TOO_SHORT = "This password is too short. It must contain at least 12 characters."
LONG_ENOUGH = "k3v!nQ8#zLp2"  # 12


def sign_in(client: Client, username: str, password: str, ip: str = HOME):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(client: Client, username: str, times: int, ip: str = HOME):
    response = None
    for _ in range(times):
        response = sign_in(client, username, "wrong password!", ip)
    return response


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("agenda:today")).status_code == 200


# ---------------------------------------------------------------- throttling


def test_four_failures_are_plain_failures(client, rep):
    response = fail(client, "ruben", 4)
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert REFUSED not in response.content.decode()
    assert LoginFailure.objects.filter(username="ruben", ip=HOME).count() == 4


def test_the_fifth_failure_refuses_that_account_from_that_address(client, rep):
    fail(client, "ruben", 4)
    response = fail(client, "ruben", 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in page
    assert 'role="alert"' in page
    assert response["Retry-After"] == str(15 * 60)
    # Even the right password is refused now, without being checked.
    response = sign_in(client, "ruben", PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)


def test_a_refused_attempt_is_not_counted(client, rep):
    fail(client, "ruben", 5)
    fail(client, "ruben", 10)
    assert LoginFailure.objects.filter(username="ruben").count() == 5


def test_the_refusal_ends_after_fifteen_minutes(client, rep):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        fail(client, "ruben", 5)
        t.shift(dt.timedelta(minutes=10))
        response = sign_in(client, "ruben", PASSWORD)
        assert response.status_code == 429
        assert "Try again in 5 minutes." in response.content.decode()
        t.shift(dt.timedelta(minutes=4, seconds=30))
        assert "Try again in 1 minute." in sign_in(client, "ruben", PASSWORD).content.decode()
        t.shift(dt.timedelta(seconds=31))
        response = sign_in(client, "ruben", PASSWORD)
        assert response.status_code == 302
        assert is_signed_in(client)


def test_the_account_name_counts_whatever_its_case(client, rep):
    fail(client, "RUBEN", 2)
    fail(client, " Ruben", 2)
    assert sign_in(client, "ruben", "wrong password!").status_code == 429


def test_other_accounts_from_the_same_address_are_unaffected(client, rep, outsider):
    fail(client, "ruben", 5)
    other = Client()
    assert sign_in(other, "otto", PASSWORD).status_code == 302
    assert is_signed_in(other)


def test_the_same_account_from_another_address_is_unaffected(client, rep):
    fail(client, "ruben", 5, ip=HOME)
    other = Client()
    assert sign_in(other, "ruben", PASSWORD, ip=ELSEWHERE).status_code == 302
    assert is_signed_in(other)


def test_twenty_failures_from_one_address_refuse_every_account_from_it(client, rep, outsider):
    # Four tries at each of five names: no single account reaches its limit of five, but
    # the twentieth failure from the address reaches the address's limit.
    for name in ["anna", "bo", "cecilia", "david"]:
        assert fail(client, name, 4).status_code == 200
    assert fail(client, "erik", 3).status_code == 200
    assert fail(client, "erik", 1).status_code == 429
    assert sign_in(client, "otto", PASSWORD).status_code == 429
    assert REFUSED in sign_in(Client(), "ruben", PASSWORD).content.decode()
    # Another address is not concerned.
    other = Client()
    assert sign_in(other, "otto", PASSWORD, ip=ELSEWHERE).status_code == 302


def test_a_successful_sign_in_clears_that_accounts_count_from_that_address(client, rep):
    fail(client, "ruben", 4)
    assert sign_in(client, "ruben", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="ruben", ip=HOME).exists()
    client.post(reverse("logout"))
    assert fail(client, "ruben", 4).status_code == 200  # four new chances, not one


def test_success_keeps_other_addresses_failures(client, rep):
    fail(client, "ruben", 3, ip=ELSEWHERE)
    assert sign_in(client, "ruben", PASSWORD).status_code == 302
    assert LoginFailure.objects.filter(username="ruben", ip=ELSEWHERE).count() == 3


def spray_account(username: str, failures: int = 50) -> None:
    """`failures` failures for one account from as many addresses (a botnet)."""
    for i in range(failures):
        throttle.record_failure(username, f"192.0.2.{i + 1}")


def test_many_failures_across_addresses_refuse_only_unknown_browsers(client, rep):
    assert sign_in(client, "ruben", PASSWORD).status_code == 302  # the real Ruben's laptop
    assert throttle.DEVICE_COOKIE in client.cookies
    client.post(reverse("logout"))
    spray_account("ruben")
    stranger = Client()
    response = sign_in(stranger, "ruben", PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 429
    assert "Try again in 60 minutes." in response.content.decode()
    # The browser Ruben signed in with before still gets in, from anywhere.
    assert sign_in(client, "ruben", PASSWORD, ip="10.9.9.9").status_code == 302
    assert is_signed_in(client)


def test_a_forged_device_cookie_does_not_help(client, rep):
    spray_account("ruben")
    client.cookies[throttle.DEVICE_COOKIE] = "ruben"
    assert sign_in(client, "ruben", PASSWORD).status_code == 429
    other_account = Client()
    other_account.cookies[throttle.DEVICE_COOKIE] = throttle.signing.dumps(
        ["otto"], salt=throttle.DEVICE_SALT
    )
    assert sign_in(other_account, "ruben", PASSWORD).status_code == 429


def test_forty_nine_failures_across_addresses_do_not_refuse(client, rep):
    spray_account("ruben", 49)
    assert sign_in(client, "ruben", PASSWORD).status_code == 302


def test_old_failures_are_pruned_when_new_ones_are_written(db):
    now = timezone.now()
    throttle.record_failure("ruben", HOME, now=now - throttle.KEEP - dt.timedelta(seconds=1))
    throttle.record_failure("otto", HOME, now=now - throttle.KEEP + dt.timedelta(minutes=1))
    throttle.record_failure("maja", HOME, now=now)
    assert sorted(LoginFailure.objects.values_list("username", flat=True)) == ["maja", "otto"]


def test_refused_until_finds_the_latest_run_within_the_window():
    rule = throttle.Rule("test", 3, dt.timedelta(minutes=10), dt.timedelta(minutes=10))
    t = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    minutes = [0, 20, 25, 29]  # 20, 25, 29 is three within ten minutes; 0 is too early
    newest_first = [t + dt.timedelta(minutes=m) for m in reversed(minutes)]
    assert throttle.refused_until(newest_first, rule) == t + dt.timedelta(minutes=39)
    spread = [t + dt.timedelta(minutes=m) for m in (40, 25, 10)]
    assert throttle.refused_until(spread, rule) is None
    with pytest.raises(ValueError, match="lockout"):
        throttle.Rule("bad", 3, dt.timedelta(minutes=1), dt.timedelta(minutes=2))


# ---------------------------------------------------------------- the client's address


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/login/", **meta)


def test_the_address_is_remote_addr_and_a_forwarded_header_is_ignored_by_default():
    assert throttle.client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        # The client wrote the left entry itself; the proxy appended the right one.
        (1, "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        (2, "1.2.3.4, 198.51.100.1, 10.0.0.5", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.9"),  # fewer entries than proxies: REMOTE_ADDR
        (1, "not-an-address", "10.0.0.9"),
    ],
)
def test_trusted_proxies_say_which_forwarded_entry_counts(settings, hops, forwarded, expected):
    settings.LIFELONG_TRUSTED_PROXY_COUNT = hops
    assert throttle.client_ip(request_from("10.0.0.9", forwarded)) == expected


def test_ipv6_addresses_count_by_their_64_network():
    one = throttle.client_ip(request_from("2001:db8:1:2::1"))
    two = throttle.client_ip(request_from("2001:db8:1:2:ffff::9"))
    assert one == two == "2001:db8:1:2::/64"
    assert throttle.client_ip(request_from("::ffff:192.0.2.1")) == "192.0.2.1"
    assert throttle.client_ip(request_from("")) == "unknown"


def test_the_proxy_count_setting_must_be_a_number(monkeypatch):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import lifelong.settings"],
        env={"LIFELONG_TRUSTED_PROXY_COUNT": "two", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "LIFELONG_TRUSTED_PROXY_COUNT must be a whole number" in result.stderr


# ---------------------------------------------------------------- sessions


def test_signing_in_gives_the_session_a_new_key(client, rep):
    session = client.session  # a session that exists before signing in, as a fixated one would
    session["probe"] = "before"
    session.save()
    old_key = session.session_key
    assert Session.objects.filter(session_key=old_key).exists()

    assert sign_in(client, "ruben", PASSWORD).status_code == 302
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert client.session["probe"] == "before"  # the data moves along; only the key changes
    assert not Session.objects.filter(session_key=old_key).exists()
    planted = Client()
    planted.cookies["sessionid"] = old_key
    assert not is_signed_in(planted)


def test_an_idle_session_expires_and_a_used_one_is_kept(client, rep, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # SessionIdleMiddleware renews
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as t:
        assert sign_in(client, "ruben", PASSWORD).status_code == 302
        t.shift(dt.timedelta(hours=7, minutes=59))
        assert is_signed_in(client)  # used within eight hours: kept, and the clock restarts
        t.shift(dt.timedelta(hours=7, minutes=59))
        assert is_signed_in(client)  # nearly sixteen hours after signing in, never idle 8 h
        t.shift(dt.timedelta(hours=8, minutes=1))
        response = client.get(reverse("agenda:today"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_session_is_written_once_a_minute_not_on_every_request(client, rep):
    """Idle expiry renews the session at most once per SESSION_RENEW_SECONDS, so a page
    that polls (the import wizard's progress) does not take the write lock each time."""

    def expiry():
        return Session.objects.get(session_key=client.session.session_key).expire_date

    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as t:
        sign_in(client, "ruben", PASSWORD)
        assert is_signed_in(client)
        first = expiry()
        t.shift(dt.timedelta(seconds=30))
        assert is_signed_in(client)
        assert expiry() == first  # within the minute: not written again
        t.shift(dt.timedelta(seconds=31))
        assert is_signed_in(client)
        assert expiry() == first + dt.timedelta(seconds=61)  # renewed: the clock restarts


# ---------------------------------------------------------------- passwords


def test_the_password_rules_ask_for_twelve_characters():
    with pytest.raises(Exception, match="at least 12 characters"):
        validate_password(SHORT)
    validate_password(LONG_ENOUGH)


def test_the_users_page_refuses_a_short_password(owner_client):
    response = owner_client.post(
        reverse("accounts:users"), {"username": "nina", "role": "rep", "password": SHORT}
    )
    assert TOO_SHORT in response.context["form"].errors["password"]
    assert not User.objects.filter(username="nina").exists()


def test_the_password_page_refuses_a_short_password(rep_client, rep):
    response = rep_client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": SHORT, "new_password2": SHORT},
    )
    assert TOO_SHORT in response.context["form"].errors["new_password2"]
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_createuser_refuses_a_short_password(db, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", SHORT)
    with pytest.raises(CommandError, match=TOO_SHORT):
        call_command("createuser", "lisa", "--role", "rep", "--password-env", "NEW_PASSWORD")
    assert not User.objects.filter(username="lisa").exists()


def test_the_service_refuses_a_short_password(db):
    with pytest.raises(Exception, match="at least 12 characters"):
        services.create_user("lisa", role=Role.REP, password=SHORT)
    assert services.create_user("lisa", role=Role.REP, password=LONG_ENOUGH).check_password(
        LONG_ENOUGH
    )


def test_djangos_changepassword_refuses_a_short_password(rep):
    err = StringIO()
    with (
        mock.patch("getpass.getpass", return_value=SHORT),
        pytest.raises(CommandError, match="after 3 attempts"),
    ):
        call_command("changepassword", "ruben", stdout=StringIO(), stderr=err)
    assert TOO_SHORT in err.getvalue()
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_createsuperuser_noinput_refuses_a_short_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", SHORT)
    with pytest.raises(CommandError, match=TOO_SHORT):
        call_command(
            "createsuperuser", "--noinput", "--username", "boss", "--email", "b@example.com"
        )
    assert not User.objects.filter(username="boss").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", LONG_ENOUGH)
    call_command(
        "createsuperuser",
        "--noinput",
        "--username",
        "boss",
        "--email",
        "b@example.com",
        stdout=StringIO(),
    )
    assert User.objects.get(username="boss").check_password(LONG_ENOUGH)


class TTY(StringIO):
    def isatty(self) -> bool:
        return True


def test_createsuperuser_on_a_terminal_offers_no_way_around_the_rules(db):
    # Django would ask "Bypass password validation…?"; the answer is no, so it asks again.
    answers = iter([SHORT, SHORT, LONG_ENOUGH, LONG_ENOUGH])
    err = StringIO()
    with mock.patch("getpass.getpass", side_effect=lambda *a: next(answers)):
        call_command(
            "createsuperuser",
            "--username",
            "boss",
            "--email",
            "b@example.com",
            stdin=TTY(),
            stdout=StringIO(),
            stderr=err,
        )
    assert TOO_SHORT in err.getvalue()
    assert User.objects.get(username="boss").check_password(LONG_ENOUGH)


def test_the_demo_password_passes_the_rules(db):
    assert len(DEMO_PASSWORD) >= 12
    validate_password(DEMO_PASSWORD, User(username=DEMO_USERNAME))


def test_passwords_are_stored_with_argon2(db, settings):
    # conftest swaps in a fast hasher for every test; put the real list back.
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = services.create_user("lisa", role=Role.REP, password=LONG_ENOUGH)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    client = Client()
    assert sign_in(client, "lisa", LONG_ENOUGH).status_code == 302


# ---------------------------------------------------------------- lifelong throttle


def throttle_command(*args: str) -> str:
    out = StringIO()
    call_command("throttle", *args, stdout=out)
    return out.getvalue()


def test_throttle_list_says_who_is_refused_and_until_when(client, rep):
    assert throttle_command("list") == "Nobody is refused sign-in.\n"
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        fail(client, "ruben", 5)
        for name in ["a", "b", "c", "d", "e"]:  # four each: only the address is refused
            fail(client, name, 4, ip=ELSEWHERE)
        spray_account("maja")
        t.shift(dt.timedelta(minutes=5))
        lines = throttle_command("list").splitlines()
    # The business's time zone (Stockholm) is an hour ahead of UTC in March.
    assert lines[0] == (
        "maja from browsers that never signed in to it: refused until 2026-03-02 11:00 CET "
        "(55 min; rule: per account)"
    )
    assert sorted(lines[1:]) == [
        "everybody from 10.0.0.2: refused until 2026-03-02 10:15 CET (10 min; rule: per address)",
        "ruben from 10.0.0.1: refused until 2026-03-02 10:15 CET "
        "(10 min; rule: per account and address)",
    ]


def test_throttle_clear_lifts_a_refusal_at_once(client, rep):
    fail(client, "ruben", 5)
    fail(client, "otto", 3)
    assert "Forgot 5 failed attempts of Ruben from 10.0.0.1." in throttle_command(
        "clear", "--user", "Ruben", "--address", HOME
    )
    assert sign_in(client, "ruben", PASSWORD).status_code == 302
    assert LoginFailure.objects.filter(username="otto").count() == 3
    assert "Forgot 3" in throttle_command("clear", "--address", HOME)
    with pytest.raises(CommandError, match="Say whose"):
        throttle_command("clear")
