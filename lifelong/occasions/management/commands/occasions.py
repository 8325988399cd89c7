"""`lifelong occasions sync`: rebuild the derived occasions after work that bypassed signals.

Saving a profile answer, a relative, a customer or a purchase keeps its occasion in step;
bulk writes (a restore, a hand-run SQL script) do not, and this brings them back.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from lifelong.customers.models import Customer
from lifelong.occasions.models import Occasion
from lifelong.occasions.services import sync_occasions


class Command(BaseCommand):
    help = (
        "Occasions. `occasions sync` rebuilds the birthdays, anniversaries, relatives' "
        "birthdays and customer-since dates from their sources, for every customer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{sync}")
        sync = sub.add_parser("sync", help="Rebuild the derived occasions of every customer.")
        sync.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        total = Customer.objects.count()
        started = time.monotonic()
        with tqdm(
            total=total,
            unit=" customers",
            disable=True if options["no_progress"] else None,
            file=self.stderr,
        ) as bar:
            changed = sync_occasions(progress=bar.update)
        seconds = time.monotonic() - started
        derived = Occasion.objects.filter(derived=True).count()
        self.stdout.write(
            f"Synced {total:,} customers in {seconds:.1f} s: {changed:,} occasions created, "
            f"changed or deleted; {derived:,} derived occasions in all."
        )
