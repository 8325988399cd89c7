"""The `lifelong` console script end to end, and `lifelong serve`."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lifelong import demo


def lifelong(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lifelong")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lifelong"]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_console_script_migrates_loads_the_demo_and_exports(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELONG_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'lifelong.sqlite3'}"
    env["LIFELONG_VAR_DIR"] = str(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)

    migrate = lifelong("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stderr
    loaded = lifelong("demo", "--customers", "20", "--seed", "1", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert f"as demo / {demo.DEMO_PASSWORD}" in loaded.stdout
    exported = lifelong("export", "customers", "--format", "json", env=env)
    assert exported.returncode == 0, exported.stderr
    records = json.loads(exported.stdout)
    assert len(records) == 20
    assert {"id", "first_name", "last_name", "emails", "status", "owner"} <= records[0].keys()
    failed = lifelong("createuser", "x", "--role", "boss", env=env)
    assert failed.returncode != 0
    assert "invalid choice" in failed.stderr


@pytest.fixture
def calls(monkeypatch) -> list[tuple]:
    seen: list[tuple] = []
    monkeypatch.setattr(
        "lifelong.management.commands.serve.call_command",
        lambda *args, **kwargs: seen.append((args, kwargs)),
    )
    return seen


def test_serve_migrates_then_runs_the_server_without_the_reloader(calls):
    out = StringIO()
    call_command("serve", "--host", "127.0.0.1", "--port", "8123", stdout=out)
    assert [c[0][0] for c in calls] == ["migrate", "runserver"]
    assert calls[1] == (("runserver", "127.0.0.1:8123"), {"ipv6": False, "use_reloader": False})
    assert "http://127.0.0.1:8123/" in out.getvalue()


def test_serve_on_all_ipv6_addresses_prints_a_reachable_url(calls):
    out = StringIO()
    call_command("serve", "--host", "::", "--port", "8000", "--reload", stdout=out)
    assert calls[1] == (("runserver", "[::]:8000"), {"ipv6": True, "use_reloader": True})
    assert "http://[::1]:8000/" in out.getvalue()


def test_serve_rejects_a_port_out_of_range(calls):
    with pytest.raises(CommandError, match="--port"):
        call_command("serve", "--port", "70000", stdout=StringIO())
    assert calls == []
