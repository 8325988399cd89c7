"""`lifelong templates install|list`: the starter message templates.

install creates each starter template that is missing (by key) and leaves the others,
edited or not, alone; list prints every template with its purpose.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lifelong.outreach.models import Template
from lifelong.outreach.rendering import STARTERS, ensure_starter_templates


class Command(BaseCommand):
    help = "Message templates: install the starter templates, or list the templates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("install", help="Create the starter templates that are missing.")
        sub.add_parser("list", help="Every template: id, key, purpose and name.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "install":
            created = ensure_starter_templates()
            kept = len(STARTERS) - created
            self.stdout.write(
                f"{created} starter template{'s' if created != 1 else ''} created, "
                f"{kept} already there."
            )
            return
        for t in Template.objects.all():
            self.stdout.write(f"{t.pk:>5}  {t.key or '-':<20} {t.purpose:<13} {t.name}")
