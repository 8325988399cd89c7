"""`lifelong audit`: the audit trail for owners' scripts, oldest first like any log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.audit.listing import AuditFilters, audit_events
from lifelong.audit.models import Action, AuditEvent

CHUNK = 2000


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{raw!r} is not a date; write it as YYYY-MM-DD.") from None


def event_record(e: AuditEvent) -> dict[str, Any]:
    """One event as plain JSON values (the time in UTC)."""
    return {
        "id": e.pk,
        "at": e.at.astimezone(dt.UTC).isoformat(),
        "user": e.actor_name or None,
        "action": e.action,
        "target": e.target,
        "customer_id": e.customer_id,
        "via": e.via,
        "ip": e.ip,
    }


class Command(BaseCommand):
    help = (
        "Print the audit log (who viewed, exported, changed or erased personal data), oldest "
        "first, one event a line; --json writes JSON Lines. Dates are days in the business's "
        "time zone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", type=int, metavar="ID", help="Only this customer id.")
        parser.add_argument("--since", metavar="DATE", help="From this day on (YYYY-MM-DD).")
        parser.add_argument("--until", metavar="DATE", help="Up to and with this day.")
        parser.add_argument("--action", choices=Action.values, help="Only this action.")
        parser.add_argument("--user", metavar="USERNAME", help="Only this user's events.")
        parser.add_argument("--json", action="store_true", help="One JSON object a line.")

    def handle(self, *args: Any, **options: Any) -> None:
        with timezone.override(Business.get().tzinfo):
            self._print(options)

    def _print(self, options: dict[str, Any]) -> None:
        filters = AuditFilters(
            action=options["action"] or "",
            user=options["user"] or "",
            customer_id=options["customer"],
            since=_date(options["since"]) if options["since"] else None,
            until=_date(options["until"]) if options["until"] else None,
        )
        if filters.since and filters.until and filters.since > filters.until:
            raise CommandError("--until is before --since.")
        events = audit_events(filters).order_by("at", "id").iterator(chunk_size=CHUNK)
        for e in events:
            if options["json"]:
                self.stdout.write(json.dumps(event_record(e), ensure_ascii=False))
                continue
            at = timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S")
            customer = f"#{e.customer_id}" if e.customer_id is not None else "-"
            self.stdout.write(
                f"{at}  {e.actor_name or '(system)'}  {e.action}  {e.target or '-'}  "
                f"{customer}  {e.via}{'  ' + e.ip if e.ip else ''}"
            )
