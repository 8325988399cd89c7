"""Shared fixtures: three users (an owner, the rep who owns the customer, a rep who does not)."""

import pytest
from django.test import Client

from lifelong.accounts.models import Role, User
from lifelong.accounts.services import create_token
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer

PASSWORD = "correct horse battery staple"  # noqa: S105


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that are not about hashing need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str, **extra) -> User:
    user = User(username=username, role=role, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def owner(db) -> User:
    return make_user("olivia", Role.OWNER, first_name="Olivia", last_name="Owner")


@pytest.fixture
def rep(db) -> User:
    """The rep who owns `customer`."""
    return make_user("ruben", Role.REP, first_name="Ruben", last_name="Rep")


@pytest.fixture
def outsider(db) -> User:
    """A rep who owns none of the fixtures' customers: must get 404 everywhere."""
    return make_user("otto", Role.REP, first_name="Otto", last_name="Outsider")


@pytest.fixture
def manager(db) -> User:
    return make_user("maja", Role.MANAGER, first_name="Maja", last_name="Manager")


@pytest.fixture
def customer(rep) -> Customer:
    return save_customer(
        Customer(owner=rep, first_name="Anna", last_name="Berg", company="Berg Bygg AB"),
        emails=["anna@berg.example"],
        phones=["+46701234567"],
        tags=["vip"],
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return client_for(owner)


@pytest.fixture
def rep_client(rep) -> Client:
    return client_for(rep)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return client_for(outsider)


def bearer(user: User) -> dict[str, str]:
    """Headers for the API as `user`, with a fresh token."""
    _, raw = create_token(user, "test")
    return {"Authorization": f"Bearer {raw}"}
