"""Backups of the whole database: `lifelong backup FILE` and `lifelong restore FILE`.

SQLite: the online backup API copies the live database page by page in one read
transaction, so the copy is consistent while people and the worker keep writing (WAL).
PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists`.

A backup file is whatever the database's own tool writes; its first bytes tell the two
kinds apart, so restoring a file of the other kind stops with a clear error.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


class DatabaseNotEmpty(BackupError):
    """The database holds customers and restoring without --force would replace them."""


def file_kind(path: Path) -> str:
    """ "sqlite" or "postgresql" from the file's first bytes; BackupError otherwise."""
    if not path.exists():
        raise BackupError(f"no such file: {path}")
    if not path.is_file():
        raise BackupError(f"not a file: {path}")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as e:
        raise BackupError(f"cannot read {path}: {e.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a Lifelong backup (neither an SQLite database nor a pg_dump "
        "custom-format archive)"
    )


def _vendor(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups of {vendor} databases are not supported")
    return vendor


def _sqlite_name(using: str) -> str:
    return str(connections[using].settings_dict["NAME"])


def _is_memory(using: str) -> bool:
    connection = connections[using]
    return connection.creation.is_in_memory_db(_sqlite_name(using))


def _pg_env(using: str) -> dict[str, str]:
    """The libpq environment that reaches the configured database."""
    s = connections[using].settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
    ):
        if value:
            env[key] = str(value)
    return env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not installed or not on PATH; install the PostgreSQL client "
            "tools (the same major version as the server or newer), e.g. "
            "`apt install postgresql-client`"
        )
    return tool


def _run(command: list[str], env: dict[str, str]) -> None:
    # The command is pg_dump/pg_restore found on PATH with fixed flags; no shell.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise BackupError(f"{Path(command[0]).name} failed (exit {done.returncode}): {detail}")


def backup(file: str | os.PathLike, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Write a backup of the database to `file` and return its size in bytes.

    The backup goes to a temporary file beside `file` first, so a failure never leaves
    half a backup under the name asked for.
    """
    target = Path(file)
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    if not target.parent.is_dir():
        raise BackupError(f"no such directory: {target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if _vendor(using) == "sqlite":
            _backup_sqlite(partial, using)
        else:
            _backup_postgresql(partial, using)
        os.replace(partial, target)
    except OSError as e:
        raise BackupError(f"cannot write {target}: {e.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _backup_sqlite(path: Path, using: str) -> None:
    connection = connections[using]
    connection.ensure_connection()
    destination = sqlite3.connect(path)
    try:
        # One step (pages=-1): the whole copy is read in one snapshot.
        connection.connection.backup(destination)
        # A self-contained file: no -wal beside it is needed to read it.
        destination.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as e:
        raise BackupError(f"SQLite backup failed: {e}") from None
    finally:
        destination.close()


def _backup_postgresql(path: Path, using: str) -> None:
    env = _pg_env(using)
    command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}"]
    _run([*command, env.get("PGDATABASE", "")], env)


def holds_customers(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database has customers (an unmigrated one has none)."""
    from lifelong.portability import holds_customers as has

    connection = connections[using]
    if "customers_customer" not in connection.introspection.table_names():
        return False
    return has(using)


def restore(file: str | os.PathLike, *, force: bool = False, using: str = DEFAULT_DB_ALIAS):
    """Replace the configured database with the backup in `file`.

    Raises BackupError (nothing changed) for a missing, unreadable or wrong-kind file,
    and DatabaseNotEmpty when the database holds customers and `force` is not set.
    """
    source = Path(file)
    kind = file_kind(source)
    vendor = _vendor(using)
    if kind != vendor:
        made_by = "SQLite" if kind == "sqlite" else "pg_dump (PostgreSQL)"
        raise BackupError(
            f"{source} is a backup made by {made_by}, but the configured database is "
            f"{'SQLite' if vendor == 'sqlite' else 'PostgreSQL'}; to move between the "
            "two, use `lifelong export all` and `lifelong import all`"
        )
    if not force and holds_customers(using):
        raise DatabaseNotEmpty(
            "this database already holds customers; `restore` replaces everything, "
            "so it needs --force to go ahead"
        )
    if vendor == "sqlite":
        _restore_sqlite(source, using)
    else:
        _restore_postgresql(source, using)


def _restore_sqlite(path: Path, using: str) -> None:
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise BackupError(f"cannot open {path}: {e}") from None
    try:
        try:
            ok = source.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise BackupError(f"{path} is damaged: {e}") from None
        if ok != "ok":
            raise BackupError(f"{path} is damaged: {ok}")
        connection = connections[using]
        if _is_memory(using):
            connection.ensure_connection()
            source.backup(connection.connection)
            return
        # Django's connection must not hold the database open under the copy.
        connection.close()
        destination = sqlite3.connect(_sqlite_name(using), timeout=30)
        try:
            source.backup(destination)
        except sqlite3.Error as e:
            raise BackupError(f"SQLite restore failed: {e}") from None
        finally:
            destination.close()
    finally:
        source.close()


def _restore_postgresql(path: Path, using: str) -> None:
    connections[using].close()
    env = _pg_env(using)
    command = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={env.get('PGDATABASE', '')}",
        str(path),
    ]
    _run(command, env)
