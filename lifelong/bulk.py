"""Raw bulk writes for the importers: fresh ids and INSERTs of plain tuples.

Used by the purchase importer (lifelong/commerce/importer.py) and the customer importer
(lifelong/imports/services.py): no model instances, no per-field preparation, executemany
on SQLite and COPY on PostgreSQL, many times faster than bulk_create for hundreds of
thousands of rows.
Values must already be in the database's form (connection.ops.adapt_* for datetimes).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Model

# Page cache for this connection during a bulk import on SQLite (KiB, as a negative
# cache_size): a million customers bring ten indexes of random keys, far more than the
# default 2 MiB, and every miss is a page read back from the file or the WAL.
BULK_CACHE_KIB = 256 * 1024
# Pages the WAL may reach before a commit copies it into the database file (SQLite's
# default is 1,000, 4 MB): a bulk import dirties index pages all over the file, and a
# larger WAL copies each page once for several commits instead of once a commit.
BULK_AUTOCHECKPOINT = 50_000


def new_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, ascending.

    Call inside the transaction that inserts them. On SQLite the transaction holds the
    write lock from its start (transaction_mode IMMEDIATE in the settings), so no other
    writer can take the ids after the highest one ever given (sqlite_sequence remembers
    deleted ones too), and they are consecutive. On PostgreSQL they come from the
    table's sequence: consecutive unless another writer takes ids meanwhile.
    """
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"Importing into {connection.vendor} is not supported.")
        # The table name is the model's own, quoted: no input reaches the SQL text.
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
            f"coalesce((SELECT max(id) FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        (top,) = cursor.fetchone()
    return list(range(top + 1, top + 1 + count))


def insert_rows(model: type[Model], columns: list[str], rows: list[tuple]) -> None:
    """INSERT `rows` (values already in the database's form) into `model`'s table."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a statement per row. psycopg's own cursor does
            # it, so its errors become Django's (IntegrityError) here, as execute's do.
            sql = f"COPY {table} ({names}) FROM STDIN"
            with connection.wrap_database_errors, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Names from the model and the caller's constants, quoted; values are parameters.
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
            cursor.executemany(sql, rows)


@contextmanager
def bulk_session() -> Iterator[None]:
    """Settings of this connection for a bulk import, put back afterwards.

    SQLite: a large page cache and less frequent WAL checkpoints. Neither weakens
    durability: journal mode, synchronous=FULL and the transactions are as ever, so
    every committed transaction is as safe as before. Nothing on PostgreSQL.
    """
    if connection.vendor != "sqlite":
        yield
        return
    settings = {"cache_size": -int(BULK_CACHE_KIB), "wal_autocheckpoint": int(BULK_AUTOCHECKPOINT)}
    before = {}
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"PRAGMA {name}")  # names from the dict above, values ints
            before[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk import that runs in a process of
    its own (the command line), back on afterwards.

    An import makes tens of millions of tuples, lists and dicts, and every 700 of them
    start a pass of the collector; the older passes walk every object alive, among them
    the importer's dicts of a million keys. That was a third of the time it took to
    check rows and most of the time to hand them from one process to the other
    (docs/import.md, Speed). What an import lets go of, reference counting frees: its
    objects hold no cycles. Not for a web server's thread: the setting is the process's.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class TransactionGroup:
    """Runs writes in one transaction until it has been open `seconds` (0: one a write),
    then commits; the time commits take is added to timings["commit"]. Used as a context
    manager: leaving it commits, or, on an exception, rolls back the open transaction.

    A bulk import writes a batch at a time; on SQLite each commit writes every page the
    transaction touched, and rows with random keys (names, emails, search terms) touch
    a page of each index a row, so a few seconds of batches in one transaction write
    each page once instead of once a batch. Keep `seconds` well below the busy timeout
    other writers wait for the lock (5 s).
    """

    def __init__(self, seconds: float, timings: dict[str, float] | None = None) -> None:
        self.seconds = seconds
        self.timings = timings if timings is not None else {}
        self.atomic: transaction.Atomic | None = None
        self.opened = 0.0

    def run(self, write: Callable[..., None], *args: object) -> None:
        if self.atomic is None:
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.opened = time.perf_counter()
        write(*args)
        if time.perf_counter() - self.opened >= self.seconds:
            self.commit()

    def commit(self) -> None:
        if self.atomic is not None:
            started, atomic, self.atomic = time.perf_counter(), self.atomic, None
            atomic.__exit__(None, None, None)
            self.timings["commit"] = self.timings.get("commit", 0.0) + time.perf_counter() - started

    def __enter__(self) -> TransactionGroup:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: object, tb: object) -> None:
        if kind is None:
            self.commit()
        elif self.atomic is not None:  # roll back what the open transaction holds
            atomic, self.atomic = self.atomic, None
            atomic.__exit__(kind, error, tb)  # type: ignore[arg-type]
