"""`lifelong coverage [--user U] [--json]`: the keep-in-touch coverage report.

The share of customers and former customers touched in the last 30 days, by owner and by
tier, and month by month for the last 12 calendar months; the same figures as the
coverage page and GET /api/v1/coverage.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.touches import coverage as cov


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


class Command(BaseCommand):
    help = (
        "Keep-in-touch coverage: who heard from you in the last 30 days, by owner and tier, "
        "and month by month."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user", help="Only what this user may see (a rep sees the customers they own)."
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args: Any, user: str | None, as_json: bool, **options: Any) -> None:
        if user:
            viewer = User.objects.filter(username=user).first()
            if viewer is None:
                raise CommandError(f"No user called {user!r}.")
            customers = customers_visible_to(viewer)
        else:
            customers = Customer.objects.all()
        now = timezone.now()
        report = cov.coverage(customers, now)
        months = cov.monthly(customers, now)
        if as_json:
            data = cov.as_dict(report, months)
            self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2))
            return
        self._print(report, months, by_owner=not user or viewer.sees_all_customers)

    def _print(self, report: cov.Coverage, months: list[cov.MonthShare], by_owner: bool) -> None:
        out = self.stdout.write
        total = report.total
        if not total.count:
            out("No customers or former customers yet: nobody to keep in touch with.")
            return
        out(
            f"{_pct(total.share)} of your customers heard from you in the last "
            f"{cov.WINDOW_DAYS} days — goal {cov.GOAL:.0%} "
            f"({total.touched:,} of {total.count:,})."
        )
        if by_owner:
            self._table("Owner", report.by_owner)
        self._table("Tier", report.by_tier)
        out("")
        out(f"{'Month':<18} {'customers':>10} {'touched':>10} {'share':>6}")
        for m in months:
            out(f"{m.label:<18} {m.customers:>10,} {m.touched:>10,} {_pct(m.share):>6}")

    def _table(self, title: str, rows: list[cov.Row]) -> None:
        width = max([len(title), *(len(r.label) for r in rows)])
        self.stdout.write("")
        self.stdout.write(f"{title:<{width}} {'customers':>10} {'touched':>10} {'share':>6}")
        for r in rows:
            self.stdout.write(
                f"{r.label:<{width}} {r.count:>10,} {r.touched:>10,} {_pct(r.share):>6}"
            )
