"""Reading the audit trail: the filters owners use, and a page of events newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from lifelong.audit.models import AuditEvent
from lifelong.cursors import Page, newest_first

PAGE_SIZE = 50
# The user filter's value for events with no user (the worker, command-line scripts).
SYSTEM = "-"


@dataclass
class AuditFilters:
    action: str = ""
    user: str = ""  # a username as recorded (actor_name), or SYSTEM
    customer_id: int | None = None
    since: dt.date | None = None  # first day included, in the business's time zone
    until: dt.date | None = None  # last day included

    @property
    def active(self) -> bool:
        return bool(self.action or self.user or self.customer_id or self.since or self.until)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The events matching `filters`, newest first. By username rather than user row, so
    a deleted user's events are still found under the name they had."""
    qs = AuditEvent.objects.all()
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.user == SYSTEM:
        qs = qs.filter(actor_name="")
    elif filters.user:
        qs = qs.filter(actor_name=filters.user)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.since is not None:
        qs = qs.filter(at__gte=_start_of(filters.since))
    if filters.until is not None:
        qs = qs.filter(at__lt=_start_of(filters.until + dt.timedelta(days=1)))
    return qs.order_by("-at", "-id")


def audit_page(filters: AuditFilters, *, cursor: str = "", limit: int = PAGE_SIZE) -> Page:
    """One page of audit_events(filters) after `cursor` (keyset on (at, id), so new events
    arriving while somebody pages never shift or repeat rows). BadCursor for a bad cursor."""
    return newest_first(audit_events(filters), cursor=cursor, limit=limit, field="at")
