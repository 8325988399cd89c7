"""The one way a change of marketing consent is recorded.

Every writer of Customer.email_consent (the customer form and API through
customers.services.save_customer, imports, the unsubscribe and preference pages, merge,
the demo) calls record_consent_change() or, for many customers at once,
record_consent_changes(). Each call adds a ConsentChange row: who, when, how.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.bulk import insert_rows
from lifelong.privacy.models import ConsentChange, How


def _how(how: str) -> str:
    if how not in How.values:
        raise ValueError(f"Unknown consent channel {how!r}; one of {', '.join(How.values)}.")
    return how


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def record_consent_change(
    customer_id: int,
    given: bool,
    *,
    how: str,
    actor: User | None = None,
    source: str = "",
    at: dt.datetime | None = None,
) -> ConsentChange:
    """Note that customer `customer_id`'s marketing consent is now `given`."""
    return ConsentChange.objects.create(
        customer_id=customer_id,
        given=bool(given),
        how=_how(how),
        actor=_actor(actor),
        source=source.strip()[:200],
        at=at or timezone.now(),
    )


def record_consent_changes(
    changes: Iterable[tuple[int, bool] | tuple[int, bool, dt.datetime, str]],
    *,
    how: str,
    actor: User | None = None,
    source: str = "",
    at: dt.datetime | None = None,
) -> int:
    """record_consent_change for many customers: (customer id, given) pairs, or (customer
    id, given, at, source) for a time and source each. One raw bulk insert
    (lifelong.bulk), so that an import of a million consenting rows stays fast."""
    how, actor = _how(how), _actor(actor)
    adapt = connection.ops.adapt_datetimefield_value
    default_at = at or timezone.now()
    actor_id, source = (actor.pk if actor else None), source.strip()[:200]
    rows = []
    for change in changes:
        if len(change) == 4:
            pk, given, when, text = change
            rows.append((pk, "email", bool(given), adapt(when), actor_id, how, text[:200]))
        else:
            pk, given = change[:2]
            rows.append((pk, "email", bool(given), adapt(default_at), actor_id, how, source))
    insert_rows(
        ConsentChange, ["customer_id", "channel", "given", "at", "actor_id", "how", "source"], rows
    )
    return len(rows)


def consent_history(customer_id: int) -> QuerySet[ConsentChange]:
    """Newest first, with the actor."""
    return ConsentChange.objects.filter(customer_id=customer_id).select_related("actor")
