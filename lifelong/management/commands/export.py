"""`lifelong export customers`: every customer (or those a user may see) as CSV or JSON.

Rows stream from the database in chunks, so the size of the export is bounded by the
disk, not by memory. Subcommands (`export customers`, later `export all`) share the
--output and --user options.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from functools import partial
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch, QuerySet
from tqdm import tqdm

from lifelong import portability
from lifelong.accounts.models import User
from lifelong.audit import log as audit
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer, ProfileAnswer
from lifelong.imports.vcard import write_vcards

CHUNK = 2000

# The customer's own columns, in export order; lists and references follow them.
FIELDS = [
    "id", "status", "first_name", "last_name", "nickname", "company", "job_title",
    "street", "postal_code", "city", "region", "country", "how_we_met", "notes",
    "external_id", "email_consent", "email_consent_at", "email_consent_source",
    "became_customer_on", "created_at", "updated_at", "archived_at", "last_touched_at",
    "erased_at", "contact_every_days", "contact_snoozed_until", "next_due_at", "tier", "value_rank",
]  # fmt: skip
CSV_COLUMNS = [*FIELDS, "owner", "referred_by", "emails", "phones", "tags"]


def customers_for_export(user: User | None) -> QuerySet[Customer]:
    """All customers, or the ones `user` may see, with everything the export writes."""
    qs = Customer.objects.not_erased() if user is None else customers_visible_to(user)
    return (
        qs.order_by("id")
        .select_related("owner")
        .prefetch_related(
            "emails",
            "phones",
            "tags",
            "relatives",
            Prefetch("answers", ProfileAnswer.objects.select_related("question")),
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def customer_record(c: Customer) -> dict[str, Any]:
    """One customer as a JSON-ready dict: its fields, owner, contact points, tags and sheet."""
    record = {name: _plain(getattr(c, name)) for name in FIELDS}
    record.update(
        owner=c.owner.username,
        referred_by=c.referred_by_id,
        emails=[{"address": e.address, "label": e.label} for e in c.emails.all()],
        phones=[{"number": p.number, "label": p.label} for p in c.phones.all()],
        tags=[t.name for t in c.tags.all()],
        relatives=[
            {
                "name": r.name,
                "relationship": r.relationship,
                "birthday": r.birthday.isoformat() if r.birthday else None,
                "notes": r.notes,
            }
            for r in c.relatives.all()
        ],
        profile={a.question.key: a.value for a in c.answers.all()},
    )
    return record


def csv_row(record: dict[str, Any]) -> list[Any]:
    row = [record[name] for name in FIELDS]
    row += [
        record["owner"],
        record["referred_by"],
        "; ".join(e["address"] for e in record["emails"]),
        "; ".join(p["number"] for p in record["phones"]),
        "; ".join(record["tags"]),
    ]
    return [_csv_cell(v) for v in row]


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class _StdoutFile:
    """A file-like view of the command's stdout that adds no line endings of its own."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def write(self, text: str) -> int:
        self.command.stdout.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = (
        "Export data. `export customers --format csv|json|vcard [--output FILE] [--user NAME]`; "
        "`export all --output FILE.json`: every record, for `import all`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{customers,all}")
        customers = sub.add_parser(
            "customers",
            help="Customers with emails, phones and tags (JSON also: relatives, profile).",
        )
        customers.add_argument("--format", choices=["csv", "json", "vcard"], default="csv")
        customers.add_argument(
            "--vcard-version", choices=["4.0", "3.0"], default="4.0", help="With --format vcard."
        )
        self._common(customers)
        add_all_parser(sub)

    @staticmethod
    def _common(parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        parser.add_argument(
            "--user", help="Only what this user may see (a rep sees the customers they own)."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar when writing a file."
        )

    def handle(self, *args, what: str, output: str | None, user: str | None, **options):
        if what == "all":
            return export_all(self, output, no_progress=options["no_progress"])
        viewer = None
        if user:
            viewer = User.objects.filter(username=user).first()
            if viewer is None:
                raise CommandError(f"No user called {user!r}.")
        qs = customers_for_export(viewer)
        audit.record(viewer, "export", target=f"customers {options['format']} export", via="cli")
        with self._open(output) as out:
            show = bool(output) and not options["no_progress"]
            with tqdm(
                total=qs.count() if show else None,
                unit=" customers",
                disable=None if show else True,  # None: only on a terminal
                file=sys.stderr,
            ) as bar:
                records = self._records(qs, bar)
                write = write_json if options["format"] == "json" else write_csv
                if options["format"] == "vcard":
                    records = (c for c in qs.iterator(chunk_size=CHUNK) if not bar.update(1))
                    write = partial(write_vcards, version=options["vcard_version"])
                try:
                    count = write(records, out)
                except BrokenPipeError:
                    # The reader went away (`lifelong export … | head`): stop quietly.
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    sys.exit(1)
        if output:
            self.stderr.write(f"Wrote {count:,} customers to {output}.")

    @staticmethod
    def _records(qs: QuerySet[Customer], bar: tqdm) -> Iterator[dict[str, Any]]:
        for customer in qs.iterator(chunk_size=CHUNK):
            yield customer_record(customer)
            bar.update(1)

    @contextlib.contextmanager
    def _open(self, output: str | None) -> Iterator[IO[str] | _StdoutFile]:
        if not output:
            yield _StdoutFile(self)
            return
        try:
            f = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as e:
            raise CommandError(f"Cannot write {output}: {e.strerror}") from None
        with f:
            yield f


def write_json(records: Iterator[dict[str, Any]], out: IO[str] | _StdoutFile) -> int:
    """A JSON array, one object per line, written as the records arrive."""
    count = 0
    out.write("[")
    for record in records:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_csv(records: Iterator[dict[str, Any]], out: IO[str] | _StdoutFile) -> int:
    """A header row, then one row per customer; lists are joined with "; "."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        writer.writerow(csv_row(record))
        count += 1
    return count


# ----------------------------------------------------------------- export all


def add_all_parser(sub: Any) -> None:
    everything = sub.add_parser(
        "all",
        help="Every record of every kind, as one JSON file for `lifelong import all`.",
        description="Users (with password hashes), the business, customers and everything "
        "they own, products, purchases, value, occasions, segments, programs, the outbox: "
        "every table of every Lifelong app, streamed row by row. See "
        "docs/backup-and-export.md.",
    )
    everything.add_argument("--output", "-o", help="Write to this file instead of stdout.")
    everything.add_argument(
        "--no-progress", action="store_true", help="No progress bar when writing a file."
    )
    everything.set_defaults(user=None, format="json")


def export_all(command: Command, output: str | None, *, no_progress: bool) -> None:
    show = bool(output) and not no_progress
    audit.record(None, "export", target="export all", via="cli")
    with (
        command._open(output) as out,
        tqdm(
            total=portability.count_rows() if show else None,
            unit=" rows",
            unit_scale=True,
            disable=None if show else True,  # None: only on a terminal
            file=sys.stderr,
        ) as bar,
    ):
        try:
            report = portability.export_all(out, progress=bar.update)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
    if output:
        tables = sum(1 for n in report.models.values() if n)
        command.stderr.write(
            f"Wrote {report.rows:,} rows of {tables} tables "
            f"({report.models.get('customers.customer', 0):,} customers) to {output}."
        )
