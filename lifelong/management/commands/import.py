"""`lifelong import purchases|customers|all FILE`: data from another system or an export.

Subcommands share the reporting: every rejected row on standard error as "line N:
reason", a summary at the end, and the exit status 0 (every row imported), 1 (some rows
rejected) or 2 (the file cannot be imported at all).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from tqdm import tqdm

from lifelong import portability
from lifelong.accounts.models import User
from lifelong.audit import log as audit
from lifelong.bulk import paused_gc
from lifelong.commerce.importer import ImportReport, PurchaseImport, Rejection, UnusableFile
from lifelong.imports.cli import add_customers_parser, import_customers_command

# Exit statuses.
ALL_IMPORTED, SOME_REJECTED, UNUSABLE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Import data from CSV. `import purchases FILE.csv [--create-customers] [--dry-run] "
        "[--owner USER] [--delimiter auto]`. Exit status: 0 all rows imported, 1 some rows "
        "rejected (each reported as 'line N: reason'), 2 the file cannot be imported. "
        "`import all FILE.json [--force]`: everything `export all` wrote, into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{purchases,customers,all}")
        purchases = sub.add_parser(
            "purchases",
            help="One purchase per row: customer,date,amount "
            "[,currency,product,sku,version,quantity,channel,reference].",
            description="Header customer,date,amount with optional currency, product, sku, "
            "version, quantity, channel and reference columns (any order, any case). "
            "`customer` is an external id or an email address of the customer.",
        )
        purchases.add_argument("file", help="The CSV file (UTF-8, with or without a BOM).")
        purchases.add_argument(
            "--create-customers",
            action="store_true",
            help="Add a customer for each unknown external id (named 'Customer <id>').",
        )
        purchases.add_argument(
            "--owner",
            metavar="USER",
            help="Who owns the customers --create-customers adds (default: the first owner).",
        )
        self._common(purchases)
        add_customers_parser(sub)
        add_all_parser(sub)

    @staticmethod
    def _common(parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report as an import would, but write nothing.",
        )
        parser.add_argument(
            "--delimiter",
            default="auto",
            help="auto (from the header: , ; tab or |), or the character: , ; tab |",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args, what: str, **options) -> None:
        if what == "all":
            return import_all(self, **options)
        if what == "customers":
            return import_customers_command(self, **options)
        if what == "purchases":
            self._purchases(**options)

    def _purchases(self, *, file: str, create_customers: bool, owner: str | None, **options):
        started = time.monotonic()
        owner_user = None
        if owner:
            owner_user = User.objects.filter(username=owner, is_active=True).first()
            if owner_user is None:
                raise CommandError(f"No active user called {owner!r}.", returncode=UNUSABLE)
        job = PurchaseImport(
            file,
            create_customers=create_customers,
            owner=owner_user,
            dry_run=options["dry_run"],
            delimiter=options["delimiter"],
        )
        try:
            job.check()
        except UnusableFile as e:
            raise CommandError(f"File unusable: {e}", returncode=UNUSABLE) from None
        for warning in job.warnings:
            self.stderr.write(f"warning: {warning}")
        with tqdm(
            total=max(job.lines - 1, 0),
            unit=" lines",
            file=sys.stderr,
            disable=True if options["no_progress"] else None,  # None: only on a terminal
        ) as bar:

            def reject(rejection: Rejection) -> None:
                if bar.disable:
                    self.stderr.write(str(rejection))
                else:
                    bar.write(str(rejection), file=sys.stderr)

            with paused_gc():  # this process is the import's own
                report = job.run(on_reject=reject, on_progress=bar.update)
        if not report.dry_run:
            audit.record(None, "create", target="purchases import", via="cli")
        self.stdout.write(self._summary(report, time.monotonic() - started))
        if report.rejected:
            raise CommandError(
                f"{len(report.rejected):,} of {report.rows:,} rows rejected (listed above).",
                returncode=SOME_REJECTED,
            )

    @staticmethod
    def _summary(report: ImportReport, seconds: float) -> str:
        parts = [
            f"{report.rows:,} rows read",
            f"{report.imported:,} imported",
            f"{len(report.rejected):,} rejected",
        ]
        if report.skipped:
            parts.append(f"{report.skipped:,} skipped (their reference was imported before)")
        parts.append(f"{_count(report.customers_created, 'customer')} created")
        if report.products_created or report.versions_created:
            parts.append(
                f"{_count(report.products_created, 'product')} and "
                f"{_count(report.versions_created, 'version')} created"
            )
        text = ", ".join(parts) + f" in {seconds:.1f} s."
        if report.dry_run:
            text = f"Dry run, nothing written: {text.replace('imported', 'to import', 1)}"
            text = text.replace(" created", " to create")
        return text


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


# ----------------------------------------------------------------- import all


def add_all_parser(sub: Any) -> None:
    everything = sub.add_parser(
        "all",
        help="Everything `lifelong export all` wrote, into an empty database.",
        description="Replaces every table the file covers with the file's rows, in one "
        "transaction. The database must have the same migrations applied as the one the "
        "file came from (run `lifelong migrate` first) and hold no customers, unless "
        "--force. Exit status: 0 imported, 1 refused (customers present), 2 the file "
        "cannot be imported. See docs/backup-and-export.md.",
    )
    everything.add_argument("file", help="The JSON file `lifelong export all` wrote.")
    everything.add_argument(
        "--force",
        action="store_true",
        help="Import even though the database holds customers: they are all replaced.",
    )
    everything.add_argument(
        "--no-progress", action="store_true", help="No progress bar, even on a terminal."
    )


def import_all(command: BaseCommand, *, file: str, force: bool, **options: Any) -> None:
    started = time.monotonic()
    try:
        f = open(file, encoding="utf-8", newline="\n")  # noqa: SIM115
    except OSError as e:
        raise CommandError(f"File unusable: {e.strerror}: {file}", returncode=UNUSABLE) from None
    with (
        f,
        tqdm(
            total=os.fstat(f.fileno()).st_size,
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            disable=True if options["no_progress"] else None,  # None: only on a terminal
        ) as bar,
    ):

        def progress(rows: int) -> None:
            bar.update(f.buffer.tell() - bar.n)  # roughly: the reader runs ahead a little

        try:
            report = portability.import_all(f, force=force, progress=progress)
        except UnicodeDecodeError as e:
            raise CommandError(f"File unusable: not UTF-8 ({e})", returncode=UNUSABLE) from None
        except portability.UnusableFile as e:
            raise CommandError(f"File unusable: {e}", returncode=UNUSABLE) from None
        except portability.DatabaseNotEmpty as e:
            raise CommandError(f"Refused: {e}.") from None
        except IntegrityError as e:
            raise CommandError(
                f"File unusable: its rows do not fit together ({e}); nothing was imported.",
                returncode=UNUSABLE,
            ) from None
    audit.record(None, "create", target="import all", via="cli")
    for warning in report.warnings:
        command.stderr.write(f"warning: {warning}")
    tables = sum(1 for n in report.models.values() if n)
    command.stdout.write(
        f"Imported {report.rows:,} rows into {tables} tables "
        f"({report.models.get('customers.customer', 0):,} customers) in "
        f"{time.monotonic() - started:.1f} s"
        + (f", replacing {report.replaced:,} rows that were there." if report.replaced else ".")
    )
