"""A survey, Anna Berg's invitation to it, and a second customer owned by the outsider."""

from __future__ import annotations

import pytest

from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.surveys import services
from lifelong.surveys.models import Invitation, Kind, Survey

BASE_URL = "https://crm.example.test"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.LIFELONG_BASE_URL = BASE_URL


@pytest.fixture
def survey(owner) -> Survey:
    return services.save_survey(Survey(name="Customer satisfaction (NPS)", kind=Kind.NPS), by=owner)


@pytest.fixture
def invitation(survey, customer) -> Invitation:
    return services.invitation_for(survey, customer, "link:test")


@pytest.fixture
def other_customer(outsider) -> Customer:
    return save_customer(
        Customer(owner=outsider, first_name="Bo", last_name="Ek"), emails=["bo@ek.example"]
    )


def path_of(invitation: Invitation) -> str:
    return f"/surveys/r/{invitation.token}/"
