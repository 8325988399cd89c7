"""Settings come from the environment, and production settings refuse unsafe defaults."""

import os
import secrets
import subprocess
import sys

import pytest


def run_lifelong(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIFELONG_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "lifelong", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_lifelong(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="lifelong.settings_production",
        LIFELONG_SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("key", ["", "dev-only-insecure-key-do-not-use-in-production", "short"])
def test_production_settings_refuse_a_missing_or_weak_secret_key(tmp_path, key):
    result = run_lifelong(
        "check",
        DJANGO_SETTINGS_MODULE="lifelong.settings_production",
        LIFELONG_SECRET_KEY=key,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode != 0
    assert "Set LIFELONG_SECRET_KEY" in result.stderr


def test_database_url_chooses_the_database(tmp_path):
    result = run_lifelong(
        "shell",
        "-c",
        "from django.db import connection as c; print(c.vendor, c.settings_dict['NAME'])",
        DATABASE_URL=f"sqlite:///{tmp_path}/chosen.sqlite3",
    )
    assert result.stdout.strip().endswith(f"sqlite {tmp_path}/chosen.sqlite3"), result.stderr


def test_a_bad_boolean_is_a_loud_error(tmp_path):
    result = run_lifelong("check", LIFELONG_DEBUG="maybe")
    assert result.returncode != 0
    assert "LIFELONG_DEBUG must be a boolean" in result.stderr
