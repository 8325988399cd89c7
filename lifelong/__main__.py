"""The `lifelong` command: every manage.py command behind one entry point."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifelong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lifelong", *sys.argv[1:]])


if __name__ == "__main__":
    main()
