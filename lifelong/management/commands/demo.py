"""`lifelong demo`: fill the database with plausible synthetic customers and print the login."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong import demo
from lifelong.customers.models import Customer
from lifelong.value.risk import refresh_values_and_risk


class Command(BaseCommand):
    help = (
        "Create demo users and N synthetic customers with emails, phones, tags, profile "
        "answers, relatives and two years of touches. The same --seed gives the same data "
        f"(on the same day). Prints the demo login: {demo.DEMO_USERNAME} / "
        f"{demo.DEMO_PASSWORD} unless that password was changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=300, help="How many customers (default 300)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the login) when there are customers already.",
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="The address shown in the login line (default http://127.0.0.1:8000/).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args, customers: int, seed: int, if_empty: bool, url: str, **options):
        if customers < 0:
            raise CommandError("--customers cannot be negative")
        if if_empty and Customer.objects.exists():
            self.stdout.write(
                f"{Customer.objects.count():,} customers already there; no demo data added."
            )
        else:
            started = time.monotonic()
            result = demo.generate(
                customers, seed=seed, progress=False if options["no_progress"] else None
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {result.customers:,} demo customers in "
                    f"{time.monotonic() - started:.1f} s."
                )
            )
            staff = ", ".join(
                f"{u.username} ({u.get_role_display().lower()})"
                for u in result.users
                if u.username != demo.DEMO_USERNAME
            )
            self.stdout.write(f"Demo staff: {staff}; new ones share the demo password.")
            # The Value page, the customer cards and the at-risk list read what the nightly
            # worker stores: compute it now, as `lifelong value refresh` would.
            refreshed, at_risk = refresh_values_and_risk()
            how = f"skipped the model: {refreshed.skipped}" if refreshed.skipped else "fitted"
            self.stdout.write(
                f"Values computed for {refreshed.customers:,} customers "
                f"in {refreshed.seconds:.1f} s ({how}); {at_risk.customers:,} at risk."
            )
        line = demo.login_line(url)
        if line:
            self.stdout.write(self.style.SUCCESS(line))
