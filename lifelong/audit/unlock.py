"""Lifting the audit log's append-only rule for one transaction, for code that empties
every table (`flush`, which tests use between transactional tests).

The triggers of migration 0002 refuse DELETE/TRUNCATE on audit_auditevent unless
audit_unlock holds a row. lifted() adds that row inside a transaction and removes it
before the transaction ends, so no other connection ever sees it and a crash rolls it
back: the lock can never be left open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def lifted(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within this block (one transaction), the audit log's rows may be deleted."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if "audit_unlock" not in connection.introspection.table_names():
            yield  # not migrated yet: no triggers either
            return
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_unlock (id) VALUES (1)")
        yield
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_unlock")
