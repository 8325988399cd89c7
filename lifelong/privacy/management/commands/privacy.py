"""`lifelong privacy export|erase|retention`: privacy rights from the command line.

export ID [--output FILE]  everything held about customer ID as JSON (stdout or FILE)
erase ID [--yes]           erase customer ID's personal data (asks first without --yes)
retention [--json]         former or archived customers due for the retention review

The command line is the operator's: it sees every customer, like an owner. Each export
and erasure is written to the audit trail as done from the command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong.audit.log import record
from lifelong.customers.models import Customer
from lifelong.privacy import retention
from lifelong.privacy.erasure import AlreadyErased, erase_customer
from lifelong.privacy.export import export_customer


def _customer(text: str) -> Customer:
    try:
        pk = int(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a customer id (a number).") from None
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise CommandError(f"There is no customer {pk}.")
    if customer.erased_at is not None:
        raise CommandError(f"Customer {pk} was erased on {customer.erased_at:%Y-%m-%d}.")
    return customer


class Command(BaseCommand):
    help = (
        "Privacy rights. `privacy export ID [--output FILE]` writes everything held about "
        "a customer as JSON; `privacy erase ID [--yes]` erases their personal data; "
        "`privacy retention [--json]` lists former and archived customers due for review."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{export,erase,retention}")
        export = sub.add_parser("export", help="Everything held about one customer, as JSON.")
        export.add_argument("customer_id")
        export.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        erase = sub.add_parser("erase", help="Erase one customer's personal data for good.")
        erase.add_argument("customer_id")
        erase.add_argument("--yes", action="store_true", help="Do not ask first.")
        review = sub.add_parser("retention", help="Customers due for the retention review.")
        review.add_argument("--json", dest="as_json", action="store_true")

    def handle(self, *args, what: str, **options) -> None:
        getattr(self, f"_{what}")(**options)

    def _export(self, customer_id: str, output: str | None, **_) -> None:
        customer = _customer(customer_id)
        text = json.dumps(export_customer(customer), ensure_ascii=False, indent=1) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote customer {customer.pk} to {output}.")
        else:
            self.stdout.write(text, ending="")
        record(None, "export", customer_id=customer.pk, target="privacy export", via="cli")

    def _erase(self, customer_id: str, yes: bool, **_) -> None:
        customer = _customer(customer_id)
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("Add --yes to erase without being asked (no terminal).")
            answer = input(
                f"Erase {customer.display_name} (customer {customer.pk}) for good? "
                "Type the customer id to confirm: "
            )
            if answer.strip() != str(customer.pk):
                raise CommandError("Not erased.")
        try:
            report = erase_customer(customer, by=None, via="cli")
        except AlreadyErased as e:
            raise CommandError(str(e)) from None
        deleted = sum(report.deleted.values())
        self.stdout.write(
            f"Erased customer {customer.pk}: {deleted} rows deleted, "
            f"{len(report.scrubbed)} kinds of record scrubbed, "
            f"{report.suppressed} addresses suppressed (as hashes)."
        )

    def _retention(self, as_json: bool, **_) -> None:
        policy = retention.RetentionPolicy.get()
        due = retention.due_for_review(years=policy.years)
        rows = [
            {
                "id": c.pk,
                "name": c.display_name,
                "status": c.status,
                "archived_at": c.archived_at.isoformat() if c.archived_at else None,
                "last_touched_at": c.last_touched_at.isoformat() if c.last_touched_at else None,
                "owner": c.owner.username,
            }
            for c in due.iterator(chunk_size=2000)
        ]
        if as_json:
            self.stdout.write(json.dumps({"years": policy.years, "customers": rows}, indent=1))
            return
        if not rows:
            self.stdout.write(f"Nobody to review: no one has been quiet for {policy.years} years.")
            return
        self.stdout.write(f"Quiet for {policy.years} years or more, the longest first:")
        for r in rows:
            last = (r["last_touched_at"] or "never")[:10]
            self.stdout.write(f"{r['id']:>8}  {last:<10}  {r['status']:<8}  {r['name']}")
