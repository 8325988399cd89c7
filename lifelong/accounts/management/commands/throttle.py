"""`lifelong throttle`: who is refused sign-in now, and lifting a refusal."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lifelong.accounts import throttle
from lifelong.accounts.models import Business


class Command(BaseCommand):
    help = (
        "Sign-in throttling (docs/security-login.md): `throttle list` shows who is refused "
        "and until when; `throttle clear --user NAME` and/or `--address IP` forgets their "
        "failed attempts, which lifts the refusal at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,clear}")
        sub.add_parser("list", help="Refusals in force, longest first.")
        clear = sub.add_parser("clear", help="Forget failed attempts of an account or address.")
        clear.add_argument("--user", metavar="NAME", help="The username (any case).")
        clear.add_argument("--address", metavar="IP", help="The address (IPv6: any in its /64).")

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            self._list()
            return
        if not options["user"] and not options["address"]:
            raise CommandError("Say whose failed attempts to forget: --user NAME, --address IP.")
        count = throttle.forget(username=options["user"], ip=options["address"])
        who = " from ".join(filter(None, [options["user"], options["address"]]))
        self.stdout.write(self.style.SUCCESS(f"Forgot {count} failed attempts of {who}."))

    def _list(self) -> None:
        now = timezone.now()
        zone = Business.get().tzinfo
        refusals = sorted(throttle.current_refusals(now), key=lambda r: r[1].until, reverse=True)
        if not refusals:
            self.stdout.write("Nobody is refused sign-in.")
        for who, refusal in refusals:
            until = refusal.until.astimezone(zone)
            self.stdout.write(
                f"{who}: refused until {until:%Y-%m-%d %H:%M %Z} "
                f"({refusal.minutes(now)} min; rule: per {refusal.rule.name})"
            )
