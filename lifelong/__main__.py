"""The `lifelong` command: every manage.py command behind one entry point.

One difference: `lifelong check` alone is the production check, `check --deploy
--fail-level WARNING` under lifelong.settings_production (docs/security-login.md).
Given --deploy or --settings it is Django's own check, and so is `manage.py check`.
"""

import os
import secrets
import sys

PRODUCTION_SETTINGS = "lifelong.settings_production"


def deploy_check_args(args: list[str]) -> list[str]:
    """`check` turned into the production check, with the environment to run it in set up;
    any other command line unchanged."""
    if not args or args[0] != "check":
        return args
    if any(a in ("--deploy", "--settings") or a.startswith("--settings=") for a in args[1:]):
        return args
    if os.environ.get("DJANGO_SETTINGS_MODULE", "lifelong.settings") == "lifelong.settings":
        os.environ["DJANGO_SETTINGS_MODULE"] = PRODUCTION_SETTINGS
    if "LIFELONG_SECRET_KEY" not in os.environ:
        os.environ["LIFELONG_SECRET_KEY"] = secrets.token_urlsafe(60)
        print(
            "LIFELONG_SECRET_KEY is not set: checking with a throwaway key. "
            "Set the real one to have it checked too.",
            file=sys.stderr,
        )
    print(f"Checking {os.environ['DJANGO_SETTINGS_MODULE']} for deployment.", file=sys.stderr)
    fail_level = [] if "--fail-level" in args else ["--fail-level", "WARNING"]
    return [*args, "--deploy", *fail_level]


def manage(args: list[str] | None = None) -> None:
    """manage.py: Django's commands as they are."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifelong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *(sys.argv[1:] if args is None else args)])


def main() -> None:
    """`lifelong`: the same commands, `check` being the production check."""
    args = deploy_check_args(sys.argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifelong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lifelong", *args])


if __name__ == "__main__":
    main()
