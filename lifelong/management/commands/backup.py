"""`lifelong backup FILE`: a consistent copy of the whole database, taken while it runs."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong import backup


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size:,} bytes"  # pragma: no cover


class Command(BaseCommand):
    help = (
        "Back up the whole database to FILE: SQLite with its online backup API (safe while "
        "the app runs), PostgreSQL with pg_dump --format=custom. `lifelong restore FILE` "
        "reads it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the backup (replaced if it exists).")

    def handle(self, *args, file: str, **options) -> None:
        try:
            size = backup.backup(file)
        except backup.BackupError as e:
            raise CommandError(f"Backup failed: {e}") from None
        self.stdout.write(f"Wrote a backup of the database to {file} ({human_size(size)}).")
