import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from lifelong.accounts.models import ApiToken, Business
from lifelong.accounts.services import create_token, create_user, revoke_token, user_for_token


def test_only_the_hash_of_a_token_is_stored(rep):
    token, raw = create_token(rep, "laptop")
    assert raw.startswith("ll_") and raw not in {token.key_hash, token.hint}
    assert user_for_token(raw) == rep


def test_revoked_tokens_and_inactive_users_do_not_authenticate(rep):
    token, raw = create_token(rep, "laptop")
    revoke_token(token)
    assert user_for_token(raw) is None
    _, raw2 = create_token(rep, "phone")
    rep.is_active = False
    rep.save()
    assert user_for_token(raw2) is None
    assert user_for_token("ll_nonsense") is None


def test_last_used_is_written_at_most_once_a_minute(rep):
    token, raw = create_token(rep, "laptop")
    t0 = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        user_for_token(raw)
    with time_machine.travel(t0 + dt.timedelta(seconds=30), tick=False):
        user_for_token(raw)
    token.refresh_from_db()
    assert token.last_used_at == t0
    assert ApiToken.objects.count() == 1


def test_create_user_checks_role_and_password(db):
    with pytest.raises(ValueError, match="role must be one of"):
        create_user("x", role="king", password="a long enough password 1")
    with pytest.raises(ValidationError):
        create_user("x", role="rep", password="short")
    user = create_user("x", role="manager", password="a long enough password 1")
    assert user.sees_all_customers and not user.is_owner


def test_business_time_zone_is_validated(db):
    b = Business.get()
    b.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError):
        b.full_clean()
