"""Bearer-token authentication of the API."""

import pytest
from django.test import Client

from conftest import bearer
from lifelong.accounts.models import ApiToken
from lifelong.accounts.services import create_token, revoke_token


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/me", "/api/v1/customers/1"])
def test_it_refuses_a_request_without_a_token(db, path):
    assert_401(Client().get(path))


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer ll_not-a-real-token", "Token ll_x", "Basic dXNlcjpwYXNz"],
)
def test_it_refuses_a_bad_token(rep, header):
    assert_401(Client().get("/api/v1/customers", headers={"Authorization": header}))


def test_it_refuses_a_revoked_token(rep):
    token, raw = create_token(rep, "laptop")
    revoke_token(token)
    assert_401(Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}))


def test_it_refuses_the_token_of_a_deactivated_user(rep):
    headers = bearer(rep)
    rep.is_active = False
    rep.save()
    assert_401(Client().get("/api/v1/me", headers=headers))


def test_it_says_whose_token_it_is(rep):
    response = Client().get("/api/v1/me", headers=bearer(rep))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ruben"
    assert body["role"] == "rep"
    assert body["sees_all_customers"] is False


def test_it_notes_when_a_token_was_used(rep):
    _, raw = create_token(rep, "script")
    Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert ApiToken.objects.get(name="script").last_used_at is not None


def test_a_session_login_is_not_enough(rep_client):
    # The API takes bearer tokens only, so a browser's session cookie cannot be ridden (CSRF).
    assert_401(rep_client.get("/api/v1/customers"))
