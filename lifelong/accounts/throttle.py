"""Throttling of failed sign-ins: per account and address, per address, per account.

The rules and the reasons for them are in docs/security-login.md. Every failed password
check is a LoginFailure row; a sign-in is refused, before its password is checked, while
any rule below holds. A refused attempt checks no password and is not counted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from lifelong.accounts.models import LoginFailure

MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Rule:
    """`failures` failed sign-ins within `window` refuse further ones for `lockout`,
    counted from the last failure that completed the count."""

    name: str
    failures: int
    window: dt.timedelta
    lockout: dt.timedelta

    def __post_init__(self) -> None:
        # refused_until reads only twice `failures` newest rows, which is enough only
        # when a lockout is no longer than its window.
        if self.lockout > self.window:
            raise ValueError("a lockout must not be longer than its window")


# The same name from the same address: someone guessing one account's password.
PER_ACCOUNT_AND_IP = Rule("account and address", 5, 15 * MINUTE, 15 * MINUTE)
# One address trying many names: password spraying. Refuses every name from there.
PER_IP = Rule("address", 20, 15 * MINUTE, 15 * MINUTE)
# One name tried from many addresses: refused only to browsers that never signed in to
# that account, so the attacker cannot lock the real person out (known_accounts).
PER_ACCOUNT = Rule("account", 50, 60 * MINUTE, 60 * MINUTE)
RULES = (PER_ACCOUNT_AND_IP, PER_IP, PER_ACCOUNT)
# Rows older than this can no longer refuse anybody.
KEEP = max(rule.window + rule.lockout for rule in RULES)

DEVICE_COOKIE = "lifelong_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
DEVICE_SALT = "lifelong.accounts.known-device"
DEVICE_ACCOUNTS = 10  # the most recent accounts one browser remembers


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    until: dt.datetime

    def minutes(self, now: dt.datetime | None = None) -> int:
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds / 60))

    def message(self, now: dt.datetime | None = None) -> str:
        minutes = self.minutes(now)
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many failed sign-in attempts. Try again in {minutes} {unit}."


def account_key(username: str) -> str:
    """The name a failure is counted under: "Ruben" and "ruben " are one account."""
    return username.strip().lower()[:150]


def normalise_ip(value: str) -> str | None:
    """An IPv4 address as it is; an IPv6 address as its /64 network (one subscriber
    usually has a whole /64, so counting single addresses would count nothing)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def client_ip(request: HttpRequest) -> str:
    """The address a request came from: REMOTE_ADDR, or with LIFELONG_TRUSTED_PROXY_COUNT
    = N the N-th X-Forwarded-For entry from the right (the one the outermost trusted proxy
    saw; entries to its left are whatever the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.LIFELONG_TRUSTED_PROXY_COUNT
    if hops > 0:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= hops and normalise_ip(forwarded[-hops]):
            remote = forwarded[-hops]
    return normalise_ip(remote) or "unknown"


def refused_until(newest_first: list[dt.datetime], rule: Rule) -> dt.datetime | None:
    """When the latest run of `rule.failures` failures within `rule.window` stops
    refusing, from failure times newest first; None when there is no such run."""
    k = rule.failures
    for j in range(len(newest_first) - k + 1):
        if newest_first[j] - newest_first[j + k - 1] <= rule.window:
            return newest_first[j] + rule.lockout
    return None


def _check(rule: Rule, failures: QuerySet, now: dt.datetime) -> Refusal | None:
    times = list(
        failures.filter(at__gt=now - rule.window - rule.lockout)
        .order_by("-at")
        .values_list("at", flat=True)[: 2 * rule.failures]
    )
    until = refused_until(times, rule)
    return Refusal(rule, until) if until is not None and until > now else None


def check(
    username: str, ip: str, *, known_device: bool = False, now: dt.datetime | None = None
) -> Refusal | None:
    """The refusal that lasts longest for a sign-in as `username` from `ip`, or None."""
    now = now or timezone.now()
    account = account_key(username)
    candidates = [
        (PER_ACCOUNT_AND_IP, LoginFailure.objects.filter(username=account, ip=ip)),
        (PER_IP, LoginFailure.objects.filter(ip=ip)),
    ]
    if not known_device:
        candidates.append((PER_ACCOUNT, LoginFailure.objects.filter(username=account)))
    refusals = [r for rule, failures in candidates if (r := _check(rule, failures, now))]
    return max(refusals, key=lambda r: r.until, default=None)


def record_failure(username: str, ip: str, *, now: dt.datetime | None = None) -> None:
    """Count one failed password check, and forget failures too old to matter."""
    now = now or timezone.now()
    LoginFailure.objects.create(username=account_key(username), ip=ip, at=now)
    LoginFailure.objects.filter(at__lt=now - KEEP).delete()


def clear(username: str, ip: str) -> None:
    """A successful sign-in forgets that account's failures from that address."""
    LoginFailure.objects.filter(username=account_key(username), ip=ip).delete()


def current_refusals(now: dt.datetime | None = None) -> list[tuple[str, Refusal]]:
    """Who is refused now, in words ("ruben from 203.0.113.7", "203.0.113.7", "ruben"),
    with each refusal; the accounts are refused only to browsers they never used."""
    now = now or timezone.now()
    recent = LoginFailure.objects.filter(at__gt=now - KEEP)
    found: list[tuple[str, Refusal]] = []
    pairs = recent.values_list("username", "ip").distinct().order_by("username", "ip")
    for username, ip in pairs:
        failures = recent.filter(username=username, ip=ip)
        if refusal := _check(PER_ACCOUNT_AND_IP, failures, now):
            found.append((f"{username} from {ip}", refusal))
    for ip in recent.values_list("ip", flat=True).distinct().order_by("ip"):
        if refusal := _check(PER_IP, recent.filter(ip=ip), now):
            found.append((f"everybody from {ip}", refusal))
    for username in recent.values_list("username", flat=True).distinct().order_by("username"):
        if refusal := _check(PER_ACCOUNT, recent.filter(username=username), now):
            found.append((f"{username} from browsers that never signed in to it", refusal))
    return found


def forget(*, username: str | None = None, ip: str | None = None) -> int:
    """Forget the failures of an account, an address or the pair (lifting their refusals);
    the number of failures forgotten."""
    if username is None and ip is None:
        raise ValueError("name an account, an address or both")
    failures = LoginFailure.objects.all()
    if username is not None:
        failures = failures.filter(username=account_key(username))
    if ip is not None:
        failures = failures.filter(ip=normalise_ip(ip) or ip)
    deleted, _ = failures.delete()
    return deleted


# ---------------------------------------------------------------- known devices


def known_accounts(request: HttpRequest | None) -> list[str]:
    """The accounts this browser has signed in to (a signed cookie set at sign-in)."""
    raw = request.COOKIES.get(DEVICE_COOKIE) if request is not None else None
    if not raw:
        return []
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [name for name in value if isinstance(name, str)]


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """Mark this browser as one that signed in to `username` (newest first, at most
    DEVICE_ACCOUNTS names), so the per-account rule does not refuse it."""
    account = account_key(username)
    names = [account, *(n for n in known_accounts(request) if n != account)]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(names[:DEVICE_ACCOUNTS], salt=DEVICE_SALT, compress=True),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
