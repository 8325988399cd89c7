"""Account pages: owner-only settings and users, API tokens, one's own profile."""

import pytest
from django.urls import reverse

from conftest import PASSWORD, client_for
from lifelong.accounts.models import ApiToken, Business, Role, User
from lifelong.accounts.services import create_token, user_for_token

OWNER_ONLY = ["accounts:settings", "accounts:users"]


@pytest.mark.parametrize("name", OWNER_ONLY)
@pytest.mark.parametrize("who", ["rep", "manager"])
def test_owner_only_pages_refused(request, name, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"name": "Hacked"}).status_code == 403


def test_owner_only_user_actions_refused_to_rep(rep_client, manager):
    assert rep_client.post(reverse("accounts:user_role", args=[manager.pk]), {}).status_code == 403
    assert rep_client.post(reverse("accounts:user_active", args=[manager.pk])).status_code == 403
    manager.refresh_from_db()
    assert manager.is_active and manager.role == Role.MANAGER


def test_nav_shows_settings_only_to_owner(owner_client, rep_client):
    settings_url = reverse("accounts:settings")
    assert settings_url in owner_client.get(reverse("customers:list")).content.decode()
    assert settings_url not in rep_client.get(reverse("customers:list")).content.decode()


def test_settings_pages_share_tabs_and_reps_see_only_their_own(owner_client, rep_client):
    owner_tabs = owner_client.get(reverse("accounts:tokens")).content.decode()
    for name in ["accounts:settings", "accounts:users", "customers:questions", "accounts:profile"]:
        assert f'href="{reverse(name)}"' in owner_tabs
    rep_tabs = rep_client.get(reverse("accounts:tokens")).content.decode()
    assert f'href="{reverse("accounts:users")}"' not in rep_tabs
    assert f'href="{reverse("accounts:password")}"' in rep_tabs


def test_login_required(client, db):
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_logs_in(client, rep):
    assert "Log in" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("login"), {"username": "ruben", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("agenda:today")


def test_login_page_shows_bad_password(client, rep):
    response = client.post(reverse("login"), {"username": "ruben", "password": "nope"})
    assert "did not match" in response.content.decode()


def test_owner_edits_business_settings(owner_client):
    response = owner_client.post(
        reverse("accounts:settings"),
        {
            "name": "Holm & Co",
            "sender_name": "Holm",
            "sender_email": "hello@holm.example",
            "postal_address": "Storgatan 1\n111 22 Stockholm",
            "time_zone": "Europe/Helsinki",
            "currency": "SEK",
        },
    )
    assert response.status_code == 302
    business = Business.get()
    assert business.name == "Holm & Co"
    assert (business.time_zone, business.currency) == ("Europe/Helsinki", "SEK")


def test_a_currency_must_be_an_iso_code(owner_client):
    response = owner_client.post(
        reverse("accounts:settings"),
        {"name": "Holm", "time_zone": "Europe/Helsinki", "currency": "sek"},
    )
    assert response.status_code == 200
    assert "three-letter ISO 4217 code" in response.content.decode()


def test_settings_reject_bad_time_zone(owner_client):
    response = owner_client.post(reverse("accounts:settings"), {"name": "X", "time_zone": "Mars"})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]


def test_owner_creates_user(owner_client):
    response = owner_client.post(
        reverse("accounts:users"),
        {"username": "nina", "first_name": "Nina", "role": "manager", "password": PASSWORD},
    )
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.role == Role.MANAGER
    assert nina.check_password(PASSWORD)


def test_create_user_shows_password_errors(owner_client):
    response = owner_client.post(
        reverse("accounts:users"), {"username": "nina", "role": "rep", "password": "12345"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["password"]
    assert any("too short" in e for e in errors)
    assert not User.objects.filter(username="nina").exists()


def test_create_user_shows_duplicate_username(owner_client, rep):
    response = owner_client.post(
        reverse("accounts:users"), {"username": "ruben", "role": "rep", "password": PASSWORD}
    )
    assert response.context["form"].errors["username"]


def test_owner_changes_role(owner_client, rep):
    owner_client.post(reverse("accounts:user_role", args=[rep.pk]), {f"u{rep.pk}-role": "manager"})
    rep.refresh_from_db()
    assert rep.role == Role.MANAGER


def test_owner_cannot_change_own_role(owner_client, owner):
    response = owner_client.post(
        reverse("accounts:user_role", args=[owner.pk]), {f"u{owner.pk}-role": "rep"}, follow=True
    )
    assert "cannot change your own role" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_deactivate_asks_then_deactivates(owner_client, rep):
    url = reverse("accounts:user_active", args=[rep.pk])
    assert "Deactivate Ruben Rep?" in owner_client.get(url).content.decode()
    rep.refresh_from_db()
    assert rep.is_active
    owner_client.post(url)
    rep.refresh_from_db()
    assert not rep.is_active
    owner_client.post(url)  # the same button reactivates
    rep.refresh_from_db()
    assert rep.is_active


def test_owner_cannot_deactivate_self(owner_client, owner):
    owner_client.post(reverse("accounts:user_active", args=[owner.pk]))
    owner.refresh_from_db()
    assert owner.is_active


def test_token_shown_once_after_creation(rep_client, rep):
    response = rep_client.post(reverse("accounts:tokens"), {"name": "Zapier"}, follow=True)
    body = response.content.decode()
    token = rep.tokens.get()
    raw = response.context["new_token"]["raw"]
    assert raw in body
    assert "shown only once" in body
    assert user_for_token(raw) == rep
    assert token.hint in body
    again = rep_client.get(reverse("accounts:tokens")).content.decode()
    assert raw not in again
    assert "Zapier" in again


def test_revoke_token_asks_then_revokes(rep_client, rep):
    token, raw = create_token(rep, "old script")
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert "Revoke “old script”?" in rep_client.get(url).content.decode()
    assert user_for_token(raw) == rep
    rep_client.post(url)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert user_for_token(raw) is None


def test_cannot_revoke_another_users_token(rep_client, outsider):
    token, _ = create_token(outsider, "theirs")
    assert rep_client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_tokens_list_only_own(rep_client, outsider):
    create_token(outsider, "outsider-token")
    assert "outsider-token" not in rep_client.get(reverse("accounts:tokens")).content.decode()


def test_edit_own_profile(rep_client, rep):
    response = rep_client.post(
        reverse("accounts:profile"),
        {"first_name": "Ruben", "last_name": "Rep", "email": "ruben@x.example", "signature": "/R"},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.signature == "/R"
    assert rep.email == "ruben@x.example"


def test_change_own_password(rep_client, rep):
    new = "a much longer new passphrase"
    response = rep_client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password(new)


def test_change_password_shows_validation_errors(rep_client, rep):
    response = rep_client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
