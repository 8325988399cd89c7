"""`lifelong promises --due [--user U] [--json]`: promises due within the reminder days
(LIFELONG_PROMISES "remind_days", default 2) and the overdue ones, the earliest first.

--json prints an array of {id, customer_id, customer_name, what, due, status, overdue,
owner} (docs/cli.md); `due` is the due date (YYYY-MM-DD) or the window's end (ISO 8601,
UTC).
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.promises import services
from lifelong.promises.models import Promise


def promise_json(p: Promise, now: dt.datetime) -> dict:
    due = p.due_on.isoformat() if p.due_on else p.window_end.astimezone(dt.UTC).isoformat()
    return {
        "id": p.pk,
        "customer_id": p.customer_id,
        "customer_name": p.customer.display_name,
        "what": p.what,
        "due": due,
        "status": p.status,
        "overdue": services.is_overdue(p, now),
        "owner": p.owner.username if p.owner else None,
    }


class Command(BaseCommand):
    help = "Promises due soon and overdue (the reminder list)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--due",
            action="store_true",
            help="Promises due within the reminder days, and overdue ones (the only list yet).",
        )
        parser.add_argument("--user", help="Only the promises this user owns.")
        parser.add_argument(
            "--days", type=int, help="Look this many days ahead (default: the remind_days setting)."
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print JSON.")

    def handle(self, *args, due, user, days, as_json: bool, **options) -> None:
        if not due:
            raise CommandError("Say which promises: --due (due soon and overdue).")
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        promises = Promise.objects.all()
        if user:
            owner = User.objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user {user!r}.")
            promises = promises.filter(owner=owner)
        now = timezone.now()
        rows = list(services.due_soon(promises, days=days, now=now))
        if as_json:
            self.stdout.write(json.dumps([promise_json(p, now) for p in rows], indent=2))
            return
        if not rows:
            self.stdout.write("No promise is due soon or overdue.")
            return
        for p in rows:
            state = "OVERDUE" if services.is_overdue(p, now) else "due"
            owner = p.owner.username if p.owner else "-"
            self.stdout.write(
                f"#{p.pk:<6} {state:<7} {services.due_words(p):<32} {p.customer.display_name}"
                f" — {p.what} ({owner})"
            )
