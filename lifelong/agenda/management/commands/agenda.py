"""`lifelong agenda [--date D] [--user U] [--json] [--limit N]`: the Today list in a terminal.

Without --user it is the whole business's agenda; --json prints an array of items with
kind, key, customer_id, customer_name, tier, value_rank, due_date, title, reason, score,
owner and extra (docs/cli.md).
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong.accounts.models import Business, User
from lifelong.agenda import services


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Today's agenda: whom to contact and why, the most valuable customers first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=_date, help="The day (default: the business's today).")
        parser.add_argument("--user", help="Only this user's customers (default: everybody's).")
        parser.add_argument("--limit", type=int, default=100, help="At most this many items.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print JSON.")

    def handle(self, *args, date, user, limit, as_json, **options) -> None:
        viewer = None
        if user:
            viewer = User.objects.filter(username=user, is_active=True).first()
            if viewer is None:
                raise CommandError(f"No active user {user!r}.")
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        day = date or Business.get().today()
        items = services.agenda(viewer, day, limit=limit)
        if as_json:
            self.stdout.write(json.dumps([i.as_json() for i in items], indent=2))
            return
        whose = f"{viewer.username}'s customers" if viewer else "everybody's customers"
        if not items:
            self.stdout.write(f"Nothing due on {day:%A %-d %B} for {whose}.")
            return
        self.stdout.write(f"{day:%A %-d %B}: {len(items)} item(s) for {whose}, best first.")
        for n, item in enumerate(items, 1):
            self.stdout.write(f"{n:>3}. [{item.score:6.3f}] {item.reason}")
