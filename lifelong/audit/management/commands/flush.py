"""Django's `flush`, which empties every table, including the append-only audit log.

The audit log's triggers refuse deletes; flush is the one sanctioned way to empty it (a
whole database wiped, e.g. between transactional tests), so it lifts the rule for its
own transaction. See docs/audit.md.
"""

from typing import Any

from django.core.management.commands import flush

from lifelong.audit.unlock import lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with lifted(options["database"]):
            super().handle(**options)
