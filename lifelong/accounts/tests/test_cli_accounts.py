"""`lifelong createuser` and `lifelong token`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lifelong.accounts.models import ApiToken, Role, User
from lifelong.accounts.services import user_for_token

GOOD = "a long enough passphrase"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_createuser_takes_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", GOOD)
    out = run(
        "createuser", "lisa", "--role", "manager", "--password-env", "NEW_PASSWORD",
        "--email", "lisa@example.com", "--first-name", "Lisa", "--last-name", "Lund",
    )  # fmt: skip
    user = User.objects.get(username="lisa")
    assert "Created lisa (manager)" in out
    assert user.role == Role.MANAGER
    assert (user.email, user.first_name, user.last_name) == ("lisa@example.com", "Lisa", "Lund")
    assert user.check_password(GOOD)


def test_createuser_rejects_a_short_password(db, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        run("createuser", "lisa", "--role", "rep", "--password-env", "NEW_PASSWORD")
    assert not User.objects.filter(username="lisa").exists()


def test_createuser_rejects_an_unknown_role(db, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", GOOD)
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        run("createuser", "lisa", "--role", "boss", "--password-env", "NEW_PASSWORD")
    assert not User.objects.filter(username="lisa").exists()


def test_createuser_rejects_a_taken_username(rep, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", GOOD)
    with pytest.raises(CommandError, match="already exists"):
        run("createuser", rep.username, "--role", "rep", "--password-env", "NEW_PASSWORD")


def test_createuser_needs_the_variable_to_be_set(db, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(CommandError, match="NOT_SET_ANYWHERE is not set"):
        run("createuser", "lisa", "--role", "rep", "--password-env", "NOT_SET_ANYWHERE")


def test_createuser_asks_twice_on_a_terminal(db, monkeypatch):
    answers = iter([GOOD, GOOD])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("createuser", "lisa", "--role", "rep")
    assert User.objects.get(username="lisa").check_password(GOOD)


def test_createuser_refuses_two_different_passwords(db, monkeypatch):
    answers = iter([GOOD, GOOD + "!"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="differ"):
        run("createuser", "lisa", "--role", "rep")


def test_token_create_prints_a_token_that_authenticates(rep):
    raw = run("token", "create", rep.username, "--name", "laptop").strip()
    assert user_for_token(raw) == rep
    assert ApiToken.objects.get(user=rep).name == "laptop"


def test_token_list_and_revoke_by_hint(rep):
    raw = run("token", "create", rep.username).strip()
    token = ApiToken.objects.get(user=rep)
    assert token.hint in run("token", "list", rep.username)
    assert "Revoked" in run("token", "revoke", rep.username, token.hint)
    assert user_for_token(raw) is None
    assert "revoked" in run("token", "list", rep.username)


def test_token_revoke_by_id_only_touches_that_users_tokens(rep, outsider):
    run("token", "create", rep.username)
    token = ApiToken.objects.get(user=rep)
    with pytest.raises(CommandError, match="has no token"):
        run("token", "revoke", outsider.username, str(token.pk))
    run("token", "revoke", rep.username, str(token.pk))
    token.refresh_from_db()
    assert not token.is_active


def test_token_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        run("token", "create", "nobody")
