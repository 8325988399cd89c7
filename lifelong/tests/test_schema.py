"""The database's indexes: none repeats the leading columns of another.

Every index is one more entry to write for every row (an import of a million customers
writes tens of millions), so an index whose columns begin another index of the same
table is pure cost: the longer index serves every lookup the shorter one would.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

# Tables Django makes for a ManyToManyField without a through model: a unique
# (from, to) pair and an index on each column, which only a custom through model
# (a migration of its own) would let us drop.
AUTO_THROUGH = {
    m._meta.db_table
    for model in apps.get_models()
    for m in [f.remote_field.through for f in model._meta.local_many_to_many]
    if m._meta.auto_created
}


def _indexes(table: str) -> dict[str, tuple[list[str], bool]]:
    """name -> (columns, unique) of every index on `table`, the primary key aside."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: (c["columns"], bool(c["unique"]))
        for name, c in constraints.items()
        if (c["index"] or c["unique"]) and not c["primary_key"] and c["columns"]
    }


@pytest.mark.django_db
def test_no_index_repeats_the_first_columns_of_another():
    redundant = []
    ours = [m for m in apps.get_models() if m._meta.app_label not in ("auth", "contenttypes",
            "sessions", "admin")]  # fmt: skip
    tables = {m._meta.db_table for m in ours} - AUTO_THROUGH
    assert len(tables) > 30
    for table in sorted(tables):
        indexes = _indexes(table)
        partial = _partial(table)
        for name, (columns, unique) in indexes.items():
            if unique or name in partial or name.endswith("_like"):
                # A unique constraint says more than its index; PostgreSQL's "_like"
                # index of a text column (pattern_ops) serves LIKE 'prefix%', which the
                # plain one does not.
                continue
            for other, (longer, _) in indexes.items():
                if other != name and other not in partial and longer[: len(columns)] == columns:
                    redundant.append(f"{table}: {name} {columns} begins {other} {longer}")
                    break
    assert not redundant, "\n".join(redundant)


def _partial(table: str) -> set[str]:
    """Names of the partial indexes (WHERE …) on `table`: they hold only some rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql LIKE '%%WHERE%%'",
                [table],
            )
        else:
            cursor.execute(
                "SELECT indexrelid::regclass::text FROM pg_index "
                "WHERE indrelid = %s::regclass AND indpred IS NOT NULL",
                [table],
            )
        return {name.strip('"') for (name,) in cursor.fetchall()}
