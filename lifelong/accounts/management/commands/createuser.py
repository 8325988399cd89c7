"""`lifelong createuser`: add a person who can log in, with a role."""

import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong.accounts.models import Role
from lifelong.accounts.services import create_user


class Command(BaseCommand):
    help = (
        "Create a user with a role (owner: everything; manager: all customers; rep: their own "
        "customers). The password comes from the environment variable named by --password-env, "
        "or is asked for twice on the terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="Read the password from this environment variable (for scripts).",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, username: str, role: str, password_env: str | None, **options):
        password = self._password(password_env)
        try:
            user = create_user(
                username,
                role=role,
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
            )
        except ValidationError as e:
            raise CommandError(_messages(e)) from None
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.username} ({user.get_role_display().lower()}).")
        )

    def _password(self, var: str | None) -> str:
        if var:
            value = os.environ.get(var)
            if value is None:
                raise CommandError(f"The environment variable {var} is not set.")
            return value
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for the password: use --password-env VAR.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{field}: {message}" if field != "__all__" else message
            for field, messages in error.message_dict.items()
            for message in messages
        )
    return " ".join(error.messages)
