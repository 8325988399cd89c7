"""Django's `createsuperuser`, without its ways around the password rules.

Django checks the password only when it asks on the terminal, and then offers to skip
the check; with --noinput it takes DJANGO_SUPERUSER_PASSWORD unchecked. Here both are
checked like every other password (`lifelong createuser NAME --role owner` is the usual
way to add an owner; docs/cli.md)."""

import builtins
import os

from django.contrib.auth.management.commands import createsuperuser as django_command
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from lifelong.accounts.models import User


def _input(prompt: str = "") -> str:
    # Django asks "Bypass password validation and create user anyway? [y/N]" after a
    # password fails the checks: the answer here is always no, so it asks again.
    if prompt.startswith("Bypass password validation"):
        return "n"
    return builtins.input(prompt)


class Command(django_command.Command):
    help = (
        "Create a superuser. The password must pass the same checks as everywhere else; "
        "`lifelong createuser NAME --role owner` is the usual way to add an owner."
    )

    def handle(self, *args, **options) -> None:
        if not options["interactive"]:
            self._check_environment_password(options)
        bypass_prompt = getattr(django_command, "input", None)
        django_command.input = _input
        try:
            super().handle(*args, **options)
        finally:
            if bypass_prompt is None:
                del django_command.input
            else:
                django_command.input = bypass_prompt

    def _check_environment_password(self, options: dict) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if password is None:
            return  # Django makes the user with an unusable password
        username = options.get(User.USERNAME_FIELD) or os.environ.get(
            "DJANGO_SUPERUSER_USERNAME", ""
        )
        try:
            validate_password(password, User(username=username, email=options.get("email") or ""))
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
