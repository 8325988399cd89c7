"""`lifelong import customers FILE`: the command line over lifelong.imports.

Lives with the app; `lifelong/management/commands/import.py` adds the subcommand with
`add_customers_parser` and hands it to `import_customers_command`. Exit statuses as for
every import: 0 every row imported (or skipped as a duplicate), 1 some rows rejected,
2 the file (or an option) unusable.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lifelong.accounts.models import Role, User
from lifelong.bulk import paused_gc
from lifelong.imports.dates import DATE_ORDERS
from lifelong.imports.mapping import ON_DUPLICATE, guess_mapping, load_mapping
from lifelong.imports.reading import FORMATS, UnusableFile, read_table
from lifelong.imports.services import ImportReport, import_customers

SOME_REJECTED, UNUSABLE = 1, 2


def add_customers_parser(sub: Any) -> None:
    customers = sub.add_parser(
        "customers",
        help="Customers from a CSV, vCard, Google Contacts or HubSpot file.",
        description="Reads a CSV file (UTF-8, UTF-16 or Windows-1252; , ; or tab) or a "
        "vCard file, maps its columns to customer fields (guessed, or --mapping), and "
        "imports every good row; each bad one is reported as 'line N: reason'. A row that "
        "matches a customer by external id, email or phone is skipped, updated or created "
        "as --on-duplicate says. Exit status: 0 all rows imported, 1 some rows rejected, 2 "
        "the file cannot be imported. See docs/import.md.",
    )
    customers.add_argument("file", help="The CSV or vCard file.")
    customers.add_argument("--format", choices=FORMATS, default="auto")
    customers.add_argument("--mapping", metavar="MAP.toml", help="Columns to fields (TOML).")
    customers.add_argument(
        "--dry-run", action="store_true", help="Check and report every row, write nothing."
    )
    customers.add_argument(
        "--owner", metavar="USER", help="Who owns the new customers (default: the first owner)."
    )
    customers.add_argument(
        "--on-duplicate", choices=ON_DUPLICATE, default=None, help="Default: skip."
    )
    customers.add_argument(
        "--date-order", choices=DATE_ORDERS, default=None, help="How 03/04/1980 reads (DMY)."
    )
    customers.add_argument("--delimiter", default="auto", help="auto, or , ; tab |")
    customers.add_argument(
        "--no-progress", action="store_true", help="No progress bar, even on a terminal."
    )


def _unusable(message: str) -> CommandError:
    return CommandError(f"File unusable: {message}", returncode=UNUSABLE)


def import_customers_command(
    command: BaseCommand,
    *,
    file: str,
    format: str,
    mapping: str | None,
    dry_run: bool,
    owner: str | None,
    on_duplicate: str | None,
    date_order: str | None,
    delimiter: str,
    no_progress: bool,
    **options: Any,
) -> None:
    started = time.monotonic()
    # The command line runs with the rights of the business's owner: it may give the
    # customers to anybody.
    by = User.objects.filter(role=Role.OWNER, is_active=True).order_by("id").first()
    owner_user = None
    if owner:
        owner_user = User.objects.filter(username=owner, is_active=True).first()
        if owner_user is None:
            raise CommandError(f"No active user called {owner!r}.", returncode=UNUSABLE)
    by = by or owner_user
    if by is None:
        raise CommandError("There is no active owner to import as; give --owner.", returncode=2)
    chosen = None
    if mapping:
        try:
            chosen = load_mapping(Path(mapping).read_text(encoding="utf-8"))
        except OSError as e:
            raise CommandError(f"Cannot read {mapping}: {e.strerror}", returncode=2) from None
        except ValidationError as e:
            raise CommandError(f"Mapping unusable: {'; '.join(e.messages)}", returncode=2) from None
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        raise _unusable(f"cannot read {file}: {e.strerror}") from None
    try:
        table = read_table(
            data,
            format=format,
            delimiter=delimiter,
            date_order=date_order or (chosen.date_order if chosen else None) or "DMY",
            file_name=Path(file).name,
        )
    except UnusableFile as e:
        raise _unusable(f"{file}: {e}") from None
    if chosen is None:
        chosen = guess_mapping(table.columns, table.format)
    if date_order:
        chosen.date_order = date_order
    if not chosen.columns:
        raise _unusable(
            f"{file}: none of its columns ({', '.join(table.columns)}) is one we know; "
            "give a --mapping"
        )
    command.stderr.write(
        f"Reading {file} as {table.format} ({table.encoding}"
        + (f", delimiter {table.delimiter!r}" if table.delimiter else "")
        + ")."
    )
    # A bar only on a terminal; the rows are counted (a pass over the file) only for it.
    show = not no_progress and sys.stderr.isatty()
    with (
        paused_gc(),  # this process is the import's own
        tqdm(
            total=table.count() if show else None, unit=" rows", file=sys.stderr, disable=not show
        ) as bar,
    ):
        try:
            report = import_customers(
                table,
                chosen,
                by=by,
                owner=owner_user,
                on_duplicate=on_duplicate,
                dry_run=dry_run,
                progress=bar.update,
                parallel=True,
                via="cli",
            )
        except (ValidationError, PermissionDenied) as e:
            messages = e.messages if isinstance(e, ValidationError) else [str(e)]
            raise CommandError("; ".join(messages), returncode=UNUSABLE) from None
        for warning in report.warnings:
            _say(command, bar, f"warning: {warning}")
        for rejection in report.rejected:
            _say(command, bar, str(rejection))
    command.stdout.write(summary(report, time.monotonic() - started))
    if report.rejected:
        raise CommandError(
            f"{len(report.rejected):,} of {report.rows:,} rows rejected (listed above).",
            returncode=SOME_REJECTED,
        )


def _say(command: BaseCommand, bar: tqdm, text: str) -> None:
    if bar.disable:
        command.stderr.write(text)
    else:
        bar.write(text, file=sys.stderr)


def summary(report: ImportReport, seconds: float) -> str:
    text = (
        f"{report.rows:,} rows read, {report.created:,} created, {report.updated:,} updated, "
        f"{report.skipped:,} skipped as duplicates, {len(report.rejected):,} rejected "
        f"in {seconds:.1f} s"
    )
    if report.dry_run:
        return f"Dry run, nothing written: {text.replace(' created', ' to create', 1)}."
    if report.batch is not None and (report.created or report.updated):
        text += f" (import #{report.batch.pk}; it can be undone for 24 hours)"
    return text + "."
