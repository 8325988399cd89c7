"""`lifelong restore FILE [--force]`: replace the database with a `lifelong backup` file."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong import backup


class Command(BaseCommand):
    help = (
        "Replace the configured database with a backup `lifelong backup` wrote (SQLite to "
        "SQLite, PostgreSQL to PostgreSQL). Refuses a database that holds customers "
        "unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the database even though it holds customers.",
        )

    def handle(self, *args, file: str, force: bool, **options) -> None:
        try:
            backup.restore(file, force=force)
        except backup.DatabaseNotEmpty as e:
            raise CommandError(f"Refused: {e}.") from None
        except backup.BackupError as e:
            raise CommandError(f"Restore failed: {e}.") from None
        self.stdout.write(f"Restored the database from {file}.")
