"""`lifelong serve`: migrate, then run the development server on one address."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def addrport(host: str, port: int) -> tuple[str, bool]:
    """runserver's "addr:port" argument and whether the address is IPv6."""
    ipv6 = ":" in host.strip("[]")
    bare = host.strip("[]")
    return (f"[{bare}]:{port}" if ipv6 else f"{host}:{port}"), ipv6


def url_for(host: str, port: int) -> str:
    bare = host.strip("[]")
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(bare, bare)  # noqa: S104
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


class Command(BaseCommand):
    help = (
        "Apply pending migrations, then serve Lifelong with Django's development server. "
        "Static files are served while LIFELONG_DEBUG is on, as usual with runserver."
    )
    requires_system_checks = []  # runserver runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart when the code changes (for developers; off by default).",
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations first."
        )

    def handle(self, *args, host: str, port: int, reload: bool, no_migrate: bool, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        address, ipv6 = addrport(host, port)
        self.stdout.write(self.style.SUCCESS(f"Lifelong is at {url_for(host, port)}"))
        call_command("runserver", address, ipv6=ipv6, use_reloader=reload)
