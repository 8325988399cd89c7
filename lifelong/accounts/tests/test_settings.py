"""Settings come from the environment, and production settings refuse unsafe defaults."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("LIFELONG_", "DJANGO_"))}


def settings_module_dir() -> str:
    return str(django_settings.PROJECT_DIR)


def run_lifelong(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lifelong", *args],
        env={**clean_env(), **env},
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


def test_lifelong_check_is_the_production_deploy_check(tmp_path):
    # No LIFELONG_SECRET_KEY: a throwaway one is used, and the output says so.
    result = run_lifelong("check", LIFELONG_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "checking with a throwaway key" in result.stderr
    assert "Checking lifelong.settings_production for deployment." in result.stderr
    assert "no issues" in result.stdout


def test_lifelong_check_fails_on_a_deploy_warning(tmp_path):
    result = run_lifelong("check", LIFELONG_VAR_DIR=str(tmp_path), LIFELONG_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # HSTS off


def test_lifelong_check_uses_the_key_that_is_set(tmp_path):
    result = run_lifelong(
        "check", LIFELONG_VAR_DIR=str(tmp_path), LIFELONG_SECRET_KEY=secrets.token_urlsafe(60)
    )
    assert result.returncode == 0, result.stderr
    assert "throwaway" not in result.stderr


def test_manage_py_check_is_still_djangos_own(tmp_path):
    # With the development settings and HSTS off, the deploy check would complain.
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings_module_dir(),
        env={**clean_env(), "LIFELONG_VAR_DIR": str(tmp_path), "LIFELONG_HSTS_SECONDS": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert "for deployment" not in result.stderr


PRINT_COOKIE_SETTINGS = (
    "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
    "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST, "
    "s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.DEBUG)"
)


def test_production_sets_secure_cookies_and_idle_expiry(tmp_path):
    result = run_lifelong(
        "shell",
        "-c",
        PRINT_COOKIE_SETTINGS,
        DJANGO_SETTINGS_MODULE="lifelong.settings_production",
        LIFELONG_SECRET_KEY=secrets.token_urlsafe(60),
        LIFELONG_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True True True Lax 31536000 28800 False False False"


def test_the_session_age_comes_from_the_environment(tmp_path):
    result = run_lifelong(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE)",
        LIFELONG_VAR_DIR=str(tmp_path),
        LIFELONG_SESSION_SECONDS="900",
    )
    assert result.stdout.splitlines()[-1] == "900", result.stderr
