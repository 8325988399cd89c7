"""The retention review: who comes up, in what order, keep, the period, who may."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.privacy import retention
from lifelong.privacy.erasure import erase_customer
from lifelong.privacy.models import RetentionPolicy, RetentionReview

pytestmark = pytest.mark.django_db
URL = reverse("privacy:retention")


def person(owner, first: str, *, status="former", quiet_years=0.0, archived=False, touched=True):
    c = save_customer(Customer(owner=owner, first_name=first, last_name="Quiet", status=status))
    when = timezone.now() - dt.timedelta(days=round(quiet_years * 365.25))
    Customer.objects.filter(pk=c.pk).update(
        last_touched_at=when if touched else None,
        created_at=when,
        archived_at=timezone.now() if archived else None,
    )
    return c


@pytest.fixture
def people(rep):
    return {
        "old_former": person(rep, "Olle", quiet_years=9),
        "older_archived": person(rep, "Alma", status="customer", quiet_years=10, archived=True),
        "never_touched": person(rep, "Nora", quiet_years=7, touched=False),
        "recent_former": person(rep, "Rut", quiet_years=2),
        "old_active": person(rep, "Ture", status="customer", quiet_years=9),
    }


def names(qs) -> list[str]:
    return [c.first_name for c in qs]


def test_former_or_archived_and_quiet_for_the_years_the_longest_first(people):
    assert names(retention.due_for_review()) == ["Alma", "Olle", "Nora"]
    assert names(retention.due_for_review(years=8)) == ["Alma", "Olle"]
    assert RetentionPolicy.get().years == 6


def test_keep_takes_them_off_for_a_year(people, owner):
    retention.keep(people["old_former"], by=owner)
    assert "Olle" not in names(retention.due_for_review())
    RetentionReview.objects.update(reviewed_at=timezone.now() - dt.timedelta(days=366))
    assert "Olle" in names(retention.due_for_review())


def test_erased_customers_are_not_listed(people):
    erase_customer(people["old_former"], by=None)
    assert "Olle" not in names(retention.due_for_review())
    assert len(retention.due_for_review()) == 2


def test_the_page_lists_them_with_keep_and_erase(people, owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Alma Quiet") < page.index("Olle Quiet") < page.index("Nora Quiet")
    assert "Rut Quiet" not in page and "Ture Quiet" not in page
    olle = people["old_former"]
    assert reverse("privacy:retention_keep", args=[olle.pk]) in page
    assert reverse("privacy:erase", args=[olle.pk]) in page
    assert "Keep (reviewed)" in page and "never (added" in page


def test_the_keep_button(people, manager):
    client = client_for(manager)
    olle = people["old_former"]
    response = client.post(reverse("privacy:retention_keep", args=[olle.pk]), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Olle Quiet kept" in response.content.decode()
    review = RetentionReview.objects.get(customer=olle)
    assert review.reviewed_by == manager
    assert "Olle Quiet" not in client.get(URL).content.decode()
    # GET does nothing.
    assert client.get(reverse("privacy:retention_keep", args=[olle.pk])).status_code == 405


def test_the_empty_state(owner_client, db):
    page = owner_client.get(URL).content.decode()
    assert "Nobody to review" in page


def test_the_list_is_paginated(rep, owner_client):
    for i in range(30):
        person(rep, f"P{i:02d}", quiet_years=7 + i / 100)
    first = owner_client.get(URL).content.decode()
    second = owner_client.get(URL, {"page": 2}).content.decode()
    assert "Page 1 of 2" in first and "P29 Quiet" in first and "P00 Quiet" not in first
    assert "P00 Quiet" in second


def test_the_owner_sets_the_years(people, owner_client):
    response = owner_client.post(URL, {"years": "8"})
    assert response.status_code == 302
    assert RetentionPolicy.get().years == 8
    assert "Nora Quiet" not in owner_client.get(URL).content.decode()
    bad = owner_client.post(URL, {"years": "0"})
    assert bad.status_code == 400 and RetentionPolicy.get().years == 8
    assert owner_client.post(URL, {"years": "six"}).status_code == 400


def test_reps_and_outsiders_may_not_and_managers_may_not_set_years(
    people, rep_client, outsider_client, manager
):
    olle = people["old_former"]
    assert rep_client.get(URL).status_code == 403
    assert outsider_client.get(URL).status_code == 403
    keep = reverse("privacy:retention_keep", args=[olle.pk])
    assert rep_client.post(keep).status_code == 403
    assert outsider_client.post(keep).status_code == 404
    client = client_for(manager)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"years": "3"}).status_code == 403
    assert RetentionPolicy.get().years == 6 and not RetentionReview.objects.exists()


def test_cli_lists_them(people, capsys):
    call_command("privacy", "retention", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["years"] == 6
    assert [c["name"] for c in data["customers"]] == ["Alma Quiet", "Olle Quiet", "Nora Quiet"]
    call_command("privacy", "retention")
    out = capsys.readouterr().out
    assert "Olle Quiet" in out and "never" in out


def test_cli_says_when_nobody_is_due(db, capsys):
    call_command("privacy", "retention")
    assert "Nobody to review" in capsys.readouterr().out


def test_the_settings_tabs_lead_there_for_owners_and_managers(owner_client, rep_client, manager):
    assert URL in owner_client.get(reverse("accounts:profile")).content.decode()
    assert URL in client_for(manager).get(reverse("accounts:profile")).content.decode()
    assert URL not in rep_client.get(reverse("accounts:profile")).content.decode()
