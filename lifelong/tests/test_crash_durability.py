"""A write Lifelong has acknowledged survives the process being killed.

A child process writes 10,000 touches through the ORM, one transaction each, and prints
each id once its transaction has committed. The test SIGKILLs it part-way, then checks
that every id it printed is in the database and that the database is sound. On SQLite
(WAL, synchronous=FULL, settings.database_from_env) the child uses a file database of its
own, migrated; with DATABASE_URL on PostgreSQL it writes to the test database.

Killing a process does not lose what the operating system already has; a power cut
could, which is what synchronous=FULL is for (every commit is fsynced). That one is not
simulated here.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from lifelong.settings import database_from_env
from lifelong.touches.models import Touch

WRITES = 10_000
KILL_AFTER = 3_000  # acknowledged writes before the kill

CHILD = """
import sys

import django

django.setup()

from django.db import transaction
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.customers.models import Customer
from lifelong.touches.models import Touch

owner = User.objects.create(username="crash-test", role="owner")
customer = Customer.objects.create(owner=owner, first_name="Crash", last_name="Test")
out = sys.stdout
for i in range(int(sys.argv[1])):
    with transaction.atomic():
        touch = Touch.objects.create(
            customer=customer, channel="call", summary=f"write {i}", occurred_at=timezone.now()
        )
    # Committed: only now is the write acknowledged.
    out.write(f"{touch.pk}\\n")
    out.flush()
"""

ON_POSTGRES = connection.vendor == "postgresql"


def child_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="lifelong.settings",
        DATABASE_URL=database_url,
        LIFELONG_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(settings.PROJECT_DIR),
    )
    return env


def write_and_kill(env: dict[str, str]) -> tuple[list[int], float]:
    """Start the writer, SIGKILL it after KILL_AFTER acknowledgements, and return every
    id it acknowledged (those still in the pipe too) and the seconds it ran."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(WRITES)],
        env=env,
        cwd=settings.PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    acked: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acked.append(int(line))
            if len(acked) == KILL_AFTER:
                os.kill(child.pid, signal.SIGKILL)
                break
        # What it printed before the kill landed is acknowledged too; a line cut off by
        # the kill (no newline) is not.
        rest = child.stdout.read().decode()
        acked.extend(int(line) for line in rest.split("\n")[:-1] if line)
    finally:
        child.kill()
        _, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
    return acked, time.monotonic() - started


def test_sqlite_runs_in_wal_mode_with_synchronous_full(tmp_path, monkeypatch, django_db_blocker):
    """What database_from_env gives every SQLite connection (not the test database,
    which lives in memory)."""
    from django.db.utils import ConnectionHandler

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    handler = ConnectionHandler({"default": database_from_env()})
    with django_db_blocker.unblock():
        db = handler["default"]
        try:
            with db.cursor() as cursor:
                assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        finally:
            db.close()


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite run; the PostgreSQL one is below")
def test_acknowledged_writes_survive_a_kill_on_sqlite(tmp_path) -> None:
    path = tmp_path / "crash.sqlite3"
    env = child_env(tmp_path, f"sqlite:///{path}")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        env=env,
        cwd=settings.PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr

    acked, seconds = write_and_kill(env)
    assert KILL_AFTER <= len(acked) < WRITES, "the kill came after the last write"

    # The child ran in WAL mode: its log is still there, not yet checkpointed. Opening
    # the database replays it, as the next `lifelong serve` would.
    assert path.with_name(f"{path.name}-wal").exists()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in db.execute("SELECT id FROM touches_touch")}
    finally:
        db.close()
    lost = sorted(set(acked) - stored)
    assert not lost, f"{len(lost)} acknowledged writes lost, the first {lost[:5]}"
    # At most the one write that committed as the kill came was never acknowledged.
    assert len(stored) - len(acked) in (0, 1)
    print(f"SQLite: {len(acked)} acknowledged writes in {seconds:.1f} s, all there after SIGKILL")


@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_acknowledged_writes_survive_a_kill_on_postgresql(tmp_path) -> None:
    """The child writes to the test database itself (committed, so transaction=True:
    the test empties the tables afterwards)."""
    name = connection.settings_dict["NAME"]  # the test database, test_<name>
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
    env = child_env(tmp_path, url)

    acked, seconds = write_and_kill(env)
    assert KILL_AFTER <= len(acked) < WRITES, "the kill came after the last write"

    stored = set(Touch.objects.values_list("pk", flat=True))
    lost = sorted(set(acked) - stored)
    assert not lost, f"{len(lost)} acknowledged writes lost, the first {lost[:5]}"
    assert len(stored) - len(acked) in (0, 1)
    print(f"PostgreSQL: {len(acked)} acknowledged writes in {seconds:.1f} s, all there")
