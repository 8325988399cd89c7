"""Consent and suppression: who may be emailed, and the links that let people stop it.

Every message's footer links to a preference page, and a marketing message also carries
`List-Unsubscribe` with a one-click URL (RFC 8058). Both URLs hold a signed token naming
the customer and the address, so they need no login and cannot be forged or enumerated.
Unsubscribing suppresses the address (no program may email it again, whatever its
purpose) and withdraws the customer's marketing consent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lifelong.customers.models import Customer
from lifelong.outreach.models import Suppression, SuppressionReason

TOKEN_SALT = "lifelong.outreach.unsubscribe"  # noqa: S105 - a salt, not a secret
UNSUBSCRIBED_SOURCE = "unsubscribed by link"


def normalise_address(address: str) -> str:
    return address.strip().lower()


def address_hash(address: str) -> str:
    """SHA-256 of the normalised address: the key of the suppression list."""
    return hashlib.sha256(normalise_address(address).encode()).hexdigest()


def suppressed_hashes(addresses: Iterable[str]) -> set[str]:
    """The hashes among `addresses`' that are on the suppression list (one query)."""
    hashes = {address_hash(a) for a in addresses if a}
    if not hashes:
        return set()
    return set(
        Suppression.objects.filter(address_hash__in=hashes).values_list("address_hash", flat=True)
    )


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(address_hash=address_hash(address)).exists()


def suppress(address: str, reason: str, *, note: str = "") -> Suppression:
    """Put `address` on the suppression list (kept as it is if already there)."""
    address = normalise_address(address)
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"address": [f"{address!r} is not an email address."]}) from None
    if reason not in SuppressionReason.values:
        raise ValidationError({"reason": [f"{reason!r} is not a suppression reason."]})
    key = address_hash(address)
    existing = Suppression.objects.filter(address_hash=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Suppression.objects.create(
                address_hash=key, address=address, reason=reason, note=note.strip()[:300]
            )
    except IntegrityError:  # somebody else suppressed it a moment ago
        return Suppression.objects.get(address_hash=key)


def remove_suppression(suppression: Suppression) -> None:
    """Allow the address again (a person's decision: say why in the log you keep)."""
    if suppression.reason == SuppressionReason.ERASED:
        raise ValidationError("An erased customer's address stays suppressed.")
    suppression.delete()


# ---------------------------------------------------------------- links


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    address: str


def make_token(customer_id: int, address: str) -> str:
    """A signed, URL-safe token for the unsubscribe and preference links."""
    signer = signing.Signer(salt=TOKEN_SALT)
    return signer.sign_object([customer_id, normalise_address(address)], compress=True)


def read_token(token: str) -> Recipient | None:
    """Whom a token names; None when it was not made by make_token (or was altered)."""
    try:
        value = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        return None
    return Recipient(value[0], value[1])


def base_url() -> str:
    """Where people reach this installation: LIFELONG_BASE_URL (https in production)."""
    url = os.environ.get("LIFELONG_BASE_URL") or getattr(settings, "LIFELONG_BASE_URL", "")
    if not url:
        if settings.DEBUG:
            return "http://127.0.0.1:8000"
        raise ImproperlyConfigured(
            "Set LIFELONG_BASE_URL (such as https://crm.example.com): unsubscribe links in "
            "emails need an absolute URL."
        )
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"LIFELONG_BASE_URL {url!r} must start with https://.")
    return url.rstrip("/")


def unsubscribe_url(token: str, *, root: str | None = None) -> str:
    return (root or base_url()) + reverse("outreach:unsubscribe", args=[token])


def preferences_url(token: str, *, root: str | None = None) -> str:
    return (root or base_url()) + reverse("outreach:preferences", args=[token])


@transaction.atomic
def unsubscribe(recipient: Recipient, *, how: str = "unsubscribe link") -> Suppression:
    """Stop all email to the address and withdraw the customer's marketing consent
    (noted in their consent history as withdrawn `how`: "unsubscribe link" or
    "preference page")."""
    suppression = suppress(
        recipient.address,
        SuppressionReason.UNSUBSCRIBED,
        note=f"Unsubscribed by link (customer #{recipient.customer_id})",
    )
    now = timezone.now()
    withdrawn = Customer.objects.filter(pk=recipient.customer_id, email_consent=True).update(
        email_consent=False,
        email_consent_at=now,
        email_consent_source=UNSUBSCRIBED_SOURCE,
        updated_at=now,
    )
    if withdrawn:
        from lifelong.privacy.consent import record_consent_change

        record_consent_change(
            recipient.customer_id, False, how=how, source=UNSUBSCRIBED_SOURCE, at=now
        )
    return suppression


def recipient_state(recipient: Recipient) -> dict:
    """What the preference page shows: whether the address is suppressed, and consent."""
    consent = (
        Customer.objects.filter(pk=recipient.customer_id)
        .values_list("email_consent", flat=True)
        .first()
    )
    return {"suppressed": is_suppressed(recipient.address), "consent": bool(consent)}
