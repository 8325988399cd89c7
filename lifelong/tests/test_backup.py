"""`lifelong backup` and `lifelong restore`: a backup restored into an empty database
holds the same rows in every table."""

import hashlib
import io
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from lifelong import backup, demo
from lifelong.tests.test_demo_cli import lifelong

# ----------------------------------------------------------------- databases


def _pg_url(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "localhost"
    port = s.get("PORT") or 5432
    return f"postgres://{s['USER']}{password}@{host}:{port}/{name}"


def _pg_conninfo(name: str) -> str:
    return _pg_url(name).replace("postgres://", "postgresql://", 1)


@contextmanager
def databases(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """The source (holding the test data) and two empty targets, as DATABASE_URLs."""
    if connection.vendor == "sqlite":
        source = tmp_path / "source.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(source)) as target:
            connection.connection.backup(target)
        yield (
            f"sqlite:///{source}",
            f"sqlite:///{tmp_path / 'bk1.sqlite3'}",
            f"sqlite:///{tmp_path / 'bk2.sqlite3'}",
        )
        return
    name = connection.settings_dict["NAME"]
    names = [f"{name}_bk1", f"{name}_bk2"]

    def drop() -> None:
        with connection._nodb_cursor() as cursor:
            for n in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')

    drop()
    with connection._nodb_cursor() as cursor:
        for n in names:
            cursor.execute(f'CREATE DATABASE "{n}"')
    try:
        yield _pg_url(name), _pg_url(names[0]), _pg_url(names[1])
    finally:
        drop()


@contextmanager
def dbapi(url: str):
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as c:
            yield c
    else:
        import psycopg

        with psycopg.connect(_pg_conninfo(url.rsplit("/", 1)[1])) as c:
            yield c


def table_names(url: str) -> set[str]:
    with dbapi(url) as c:
        if url.startswith("sqlite:///"):
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            sql = (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        return {row[0] for row in c.cursor().execute(sql).fetchall()}


def primary_keys(tables: list[str]) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        return {
            t: connection.introspection.get_primary_key_columns(cursor, t) or [] for t in tables
        }


def table_contents(url: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a sha256 over its rows sorted by primary key."""
    keys = primary_keys(tables)
    out = {}
    with dbapi(url) as c:
        for table in tables:
            order = ", ".join(f'"{k}"' for k in keys[table])
            cursor = c.cursor()
            sql = f'SELECT * FROM "{table}"'  # noqa: S608 (names from introspection)
            cursor.execute(f"{sql} ORDER BY {order}" if order else sql)
            rows = cursor.fetchall()
            if not order:
                rows.sort(key=repr)
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(row).encode())
                digest.update(b"\n")
            out[table] = (len(rows), digest.hexdigest())
    return out


def cli_env(url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELONG_")}
    env["DATABASE_URL"] = url
    env["LIFELONG_VAR_DIR"] = str(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def needs_the_tools() -> None:
    if connection.vendor == "postgresql":
        missing = [t for t in ("pg_dump", "pg_restore") if shutil.which(t) is None]
        if missing:
            pytest.skip(f"{' and '.join(missing)} not installed: PostgreSQL backups need them")


# ----------------------------------------------------------------- round trip


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_has_every_row_of_every_table(tmp_path):
    needs_the_tools()
    demo.generate(40, seed=3, progress=False)
    tables = sorted(connection.introspection.table_names())
    assert "customers_customer" in tables

    with databases(tmp_path) as (source, empty1, empty2):
        expected = table_contents(source, tables)
        assert expected["customers_customer"][0] == 40
        assert sum(count for count, _ in expected.values()) > 1000

        file = tmp_path / "lifelong.backup"
        made = lifelong("backup", str(file), env=cli_env(source, tmp_path))
        assert made.returncode == 0, made.stderr
        assert f"to {file} (" in made.stdout
        magic = backup.SQLITE_MAGIC if connection.vendor == "sqlite" else backup.PGDUMP_MAGIC
        assert file.read_bytes().startswith(magic)

        restored = lifelong("restore", str(file), env=cli_env(empty1, tmp_path))
        assert restored.returncode == 0, restored.stderr
        assert table_names(empty1) == set(tables)
        assert table_contents(empty1, tables) == expected

        # The restored database holds customers now: a second restore needs --force.
        refused = lifelong("restore", str(file), env=cli_env(empty1, tmp_path))
        assert refused.returncode == 1
        assert "--force" in refused.stderr
        forced = lifelong("restore", str(file), "--force", env=cli_env(empty1, tmp_path))
        assert forced.returncode == 0, forced.stderr
        assert table_contents(empty1, tables) == expected

        # A restored database backs up as well as the original.
        again = tmp_path / "again.backup"
        made = lifelong("backup", str(again), env=cli_env(empty1, tmp_path))
        assert made.returncode == 0, made.stderr
        restored = lifelong("restore", str(again), env=cli_env(empty2, tmp_path))
        assert restored.returncode == 0, restored.stderr
        assert table_contents(empty2, tables) == expected


# ----------------------------------------------------------------- refusals


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_customers_unless_forced(tmp_path):
    needs_the_tools()
    demo.generate(3, seed=3, progress=False)
    file = tmp_path / "b.backup"
    out = io.StringIO()
    call_command("backup", str(file), stdout=out)
    assert f"Wrote a backup of the database to {file}" in out.getvalue()
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(file), stdout=io.StringIO())
    call_command("restore", str(file), "--force", stdout=io.StringIO())
    connection.close()
    from lifelong.customers.models import Customer

    assert Customer.objects.count() == 3


@pytest.mark.django_db
def test_restore_explains_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "nope.backup"), stdout=io.StringIO())
    junk = tmp_path / "junk.backup"
    junk.write_text("id,name\n1,Anna\n")
    with pytest.raises(CommandError, match="not a Lifelong backup"):
        call_command("restore", str(junk), stdout=io.StringIO())
    other = tmp_path / "other.backup"
    if connection.vendor == "sqlite":
        other.write_bytes(backup.PGDUMP_MAGIC + b"\x01\x0e\x00" + b"\x00" * 64)
        expected = "made by pg_dump"
    else:
        with closing(sqlite3.connect(other)) as c:
            c.execute("CREATE TABLE t (x)")
        expected = "made by SQLite"
    with pytest.raises(CommandError, match=expected):
        call_command("restore", str(other), stdout=io.StringIO())


def test_backup_explains_a_missing_directory(tmp_path):
    with pytest.raises(backup.BackupError, match="no such directory"):
        backup.backup(tmp_path / "no" / "such" / "file.backup")


def test_the_missing_pg_tool_is_named(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump is not installed"):
        backup._pg_tool("pg_dump")
