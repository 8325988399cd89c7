from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lifelong.commerce import upgrades
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.customers.models import Customer, CustomerEmail
from lifelong.outreach.models import Message, MessageStatus, ProgramKind, Purpose

DAY = dt.timedelta(days=1)


@pytest.fixture
def product(db) -> Product:
    return Product.objects.create(name="Planner")


@pytest.fixture
def versions(product) -> dict[str, ProductVersion]:
    v1 = ProductVersion.objects.create(
        product=product, label="1.0", released_on=dt.date(2022, 1, 1)
    )
    v2 = ProductVersion.objects.create(
        product=product, label="2.0", released_on=dt.date(2023, 1, 1), supersedes=v1
    )
    v3 = ProductVersion.objects.create(
        product=product, label="3.0", released_on=dt.date(2024, 6, 1), supersedes=v2
    )
    return {"1.0": v1, "2.0": v2, "3.0": v3}


def buy(customer: Customer, version: ProductVersion, when: dt.datetime, amount="100") -> None:
    purchase = Purchase.objects.create(
        customer=customer, occurred_at=when, total=Decimal(amount), currency="EUR"
    )
    PurchaseLine.objects.create(
        purchase=purchase, customer=customer, product_version=version, amount=Decimal(amount)
    )


def person(owner, name: str, **extra) -> Customer:
    customer = Customer.objects.create(
        owner=owner, first_name=name, last_name="Test", sort_name=name.lower(), **extra
    )
    CustomerEmail.objects.create(customer=customer, address=f"{name.lower()}@example.com")
    return customer


def test_the_latest_purchase_of_the_product_decides(owner, versions):
    v1, v2, v3 = versions["1.0"], versions["2.0"], versions["3.0"]
    t = timezone.now() - dt.timedelta(days=400)
    only_v1 = person(owner, "Ada")
    buy(only_v1, v1, t)
    v1_then_v2 = person(owner, "Bo")
    buy(v1_then_v2, v1, t)
    buy(v1_then_v2, v2, t + DAY)
    v2_then_v1 = person(owner, "Cy")  # bought an old one again last: still on 1.0
    buy(v2_then_v1, v2, t)
    buy(v2_then_v1, v1, t + DAY)
    has_v3 = person(owner, "Di")
    buy(has_v3, v1, t)
    buy(has_v3, v3, t + DAY)
    other = Product.objects.create(name="Other")
    elsewhere = person(owner, "Ed")
    buy(elsewhere, ProductVersion.objects.create(product=other, label="9"), t)
    archived = person(owner, "Fi", archived_at=timezone.now())
    buy(archived, v1, t)

    assert upgrades.upgrade_candidates(v3) == [(v1, 2), (v2, 1)]
    assert set(upgrades.candidates(v3)) == {only_v1, v1_then_v2, v2_then_v1}
    # For 2.0 only 1.0 is older, and whoever's latest is 2.0 or 3.0 is no candidate.
    assert upgrades.upgrade_candidates(v2) == [(v1, 2)]
    assert upgrades.older_versions(v1) == []


def test_a_rep_counts_only_their_customers(owner, rep, outsider, versions):
    mine = person(rep, "Ada")
    buy(mine, versions["1.0"], timezone.now() - dt.timedelta(days=10))
    assert upgrades.upgrade_candidates(versions["3.0"], visible_to=rep) == [(versions["1.0"], 1)]
    assert upgrades.upgrade_candidates(versions["3.0"], visible_to=outsider) == []


def test_the_programs_messages_name_each_customers_old_version(owner, versions):
    v1, v2, v3 = versions["1.0"], versions["2.0"], versions["3.0"]
    t = timezone.now() - dt.timedelta(days=100)
    ada = person(owner, "Ada", email_consent=True)
    buy(ada, v1, t)
    bo = person(owner, "Bo", email_consent=True)
    buy(bo, v2, t)
    no_consent = person(owner, "Cy", email_consent=False)
    buy(no_consent, v1, t)
    expires = timezone.localdate() + dt.timedelta(days=30)

    offer = upgrades.prepare_offer(v3, price=Decimal("49.00"), expires_on=expires, by=owner)

    program = offer.program
    assert (program.kind, program.purpose, program.approval) == (
        ProgramKind.ONE_OFF,
        Purpose.MARKETING,
        "drafts",
    )
    messages = {m.customer_id: m for m in Message.objects.filter(program=program)}
    assert set(messages) == {ada.pk, bo.pk}
    assert all(m.status == MessageStatus.DRAFT for m in messages.values())
    assert "Planner 1.0" in messages[ada.pk].body_text
    assert "Planner 2.0" in messages[bo.pk].body_text
    assert "3.0 is ready for you" in messages[ada.pk].subject
    assert "49.00" in messages[ada.pk].body_text


def test_only_a_release_that_supersedes_is_an_upgrade(owner, versions):
    with pytest.raises(ValidationError):
        upgrades.prepare_offer(
            versions["1.0"], price=Decimal(1), expires_on=timezone.localdate(), by=owner
        )


def test_accepted_when_bought_before_the_expiry(owner, versions):
    v1, v3 = versions["1.0"], versions["3.0"]
    people = [person(owner, n, email_consent=True) for n in ("Ada", "Bo", "Cy", "Di")]
    for p in people:
        buy(p, v1, timezone.now() - dt.timedelta(days=300))
    expires = timezone.localdate() + dt.timedelta(days=10)
    offer = upgrades.prepare_offer(v3, price=Decimal("49.00"), expires_on=expires, by=owner)
    ada, bo, cy, di = people
    buy(ada, v3, timezone.now() + dt.timedelta(days=1), amount="49")
    last_moment = upgrades.Business.get().start_of(expires + DAY) - dt.timedelta(seconds=1)
    buy(bo, v3, last_moment, amount="49")
    buy(cy, v3, last_moment + dt.timedelta(seconds=1), amount="49")  # a second too late
    buy(di, v1, timezone.now() + dt.timedelta(days=1))  # bought, but not the new version

    results = upgrades.offer_results(offer)

    assert results == upgrades.Results(offered=4, accepted=2, revenue=Decimal("98.00"))


def test_a_purchase_before_the_offer_is_not_an_acceptance(owner, versions):
    ada = person(owner, "Ada", email_consent=True)
    buy(ada, versions["1.0"], timezone.now() - dt.timedelta(days=300))
    expires = timezone.localdate() + dt.timedelta(days=10)
    offer = upgrades.prepare_offer(
        versions["3.0"], price=Decimal("49.00"), expires_on=expires, by=owner
    )
    buy(ada, versions["3.0"], offer.created_at - dt.timedelta(minutes=1))
    assert upgrades.offer_results(offer).accepted == 0


def _url(version: ProductVersion) -> str:
    from django.urls import reverse

    return reverse("commerce:product_version_upgrade", args=[version.product_id, version.pk])


def test_the_upgrade_page_and_preparing_an_offer(owner_client, owner, versions):
    ada = person(owner, "Ada", email_consent=True)
    buy(ada, versions["2.0"], timezone.now() - dt.timedelta(days=30))
    from django.urls import reverse

    catalogue = owner_client.get(reverse("commerce:products")).text
    assert _url(versions["3.0"]) in catalogue
    assert _url(versions["1.0"]) not in catalogue
    page = owner_client.get(_url(versions["3.0"]))
    assert "1 customer on an older version" in page.text
    assert "Ada Test" in page.text
    expires = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    response = owner_client.post(_url(versions["3.0"]), {"price": "49", "expires_on": expires})
    offer = versions["3.0"].offers.get()
    assert response.url == reverse("outreach:program", args=[offer.program_id])
    assert "Offered" in owner_client.get(_url(versions["3.0"])).text


def test_a_rep_sees_their_own_candidates_and_cannot_prepare(rep_client, rep, owner, versions):
    mine = person(rep, "Ada", email_consent=True)
    buy(mine, versions["1.0"], timezone.now() - dt.timedelta(days=30))
    theirs = person(owner, "Zed", email_consent=True)
    buy(theirs, versions["1.0"], timezone.now() - dt.timedelta(days=30))
    page = rep_client.get(_url(versions["3.0"]))
    assert "Ada Test" in page.text and "Zed Test" not in page.text
    assert "Prepare an upgrade offer" not in page.text
    expires = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    response = rep_client.post(_url(versions["3.0"]), {"price": "49", "expires_on": expires})
    assert response.status_code == 403
