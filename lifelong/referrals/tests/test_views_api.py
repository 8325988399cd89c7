import time

import pytest

from conftest import bearer
from lifelong.customers.models import Customer
from lifelong.referrals import services
from lifelong.referrals.models import Referral, ReferralAsk
from lifelong.referrals.tests.conftest import make_customer, snapshot


def detail(customer) -> str:
    return f"/customers/{customer.pk}/"


def test_the_panel_shows_the_tree_with_status_and_value(rep_client, rep, customer, nils):
    services.record_referral(customer, nils, by=rep)
    tova = make_customer(rep, "Tova", "Lund")
    services.record_referral(nils, tova, by=rep, status="became_customer")
    snapshot(tova, "2500", 1800.0)
    html = rep_client.get(detail(customer)).content.decode()
    assert 'id="referrals"' in html
    assert "Nils Holm" in html and "Tova Lund" in html
    assert "Became a customer" in html
    html = rep_client.get(detail(tova)).content.decode()
    assert "Referred by" in html and "Nils Holm" in html


def _cycle(owner) -> list[Customer]:
    people = [make_customer(owner, f"Loop{i}") for i in range(3)]
    for a, b in zip(people, people[1:] + people[:1], strict=True):
        Referral.objects.create(referrer=a, referred=b)  # bad data, past the services
        Customer.objects.filter(pk=b.pk).update(referred_by=a)
    return people


def test_a_cycle_in_bad_data_renders_page_and_api_without_hanging(rep_client, rep):
    first = _cycle(rep)[0]
    started = time.monotonic()
    page = rep_client.get(detail(first))
    response = rep_client.get("/referrals/")
    api = rep_client.get(f"/api/v1/customers/{first.pk}/referrals", headers=bearer(rep))
    assert time.monotonic() - started < 5
    assert page.status_code == response.status_code == api.status_code == 200
    assert "already shown above" in page.content.decode()
    nodes = api.json()["nodes"]
    assert [n["name"] for n in nodes] == ["Loop1", "Loop2", "Loop0"]
    assert nodes[-1]["cycle"] is True


def test_record_a_referral_of_an_existing_customer(rep_client, customer, nils):
    response = rep_client.post(f"/referrals/{customer.pk}/add/", {"referred": nils.pk})
    assert response.status_code == 302
    assert Referral.objects.get(referred=nils).referrer == customer


def test_record_a_new_prospect_inline(rep_client, customer):
    rep_client.post(
        f"/referrals/{customer.pk}/add/",
        {"first_name": "Ida", "last_name": "Ek", "email": "ida@ek.example"},
    )
    referral = Referral.objects.get(referrer=customer)
    assert referral.referred.display_name == "Ida Ek"
    assert referral.referred.status == "prospect"


def test_a_customer_you_cannot_see_cannot_be_named(rep_client, customer, theirs):
    response = rep_client.post(
        f"/referrals/{customer.pk}/add/", {"referred": theirs.pk}, follow=True
    )
    assert not Referral.objects.exists()
    assert f"no customer with id {theirs.pk}" in response.content.decode()


def test_self_referral_is_refused_on_the_page(rep_client, customer):
    response = rep_client.post(
        f"/referrals/{customer.pk}/add/", {"referred": customer.pk}, follow=True
    )
    assert "cannot refer themselves" in response.content.decode()


def test_record_an_ask_and_see_it(rep_client, customer):
    rep_client.post(f"/referrals/{customer.pk}/ask/", {"channel": "call", "answer": "later"})
    assert ReferralAsk.objects.get(customer=customer).answer == "later"
    html = rep_client.get(detail(customer)).content.decode()
    assert "Not again before" in html


def test_the_referrals_page_and_its_empty_state(rep_client, rep, customer, nils):
    assert "No referrals yet" in rep_client.get("/referrals/").content.decode()
    services.record_referral(customer, nils, by=rep)
    html = rep_client.get("/referrals/").content.decode()
    assert "Anna Berg" in html and "Nils Holm" in html


def test_the_referrals_page_pages(rep_client, rep):
    for i in range(25):
        services.record_referral(
            make_customer(rep, f"R{i:02}"), make_customer(rep, f"N{i:02}"), by=rep
        )
    first = rep_client.get("/referrals/").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in rep_client.get("/referrals/?page=2").content.decode()


def test_set_status_on_the_page(rep_client, rep, customer, nils):
    referral = services.record_referral(customer, nils, by=rep)
    rep_client.post(f"/referrals/r/{referral.pk}/status/", {"status": "became_customer"})
    nils.refresh_from_db()
    assert nils.status == "customer"


def test_names_of_unseen_customers_stay_hidden(rep_client, rep, customer, theirs):
    services.record_referral(customer, theirs, by=None)
    html = rep_client.get(detail(customer)).content.decode()
    assert "Olle" not in html and "Another owner's customer" in html
    assert "Olle" not in rep_client.get("/referrals/").content.decode()
    body = rep_client.get(f"/api/v1/customers/{customer.pk}/referrals", headers=bearer(rep)).json()
    assert body["nodes"][0]["name"] is None


# ---------------------------------------------------------------- the outsider


@pytest.fixture
def referral(rep, customer, nils) -> Referral:
    return services.record_referral(customer, nils, by=rep)


def test_outsider_gets_404_on_every_page(outsider_client, customer, referral):
    pages = [
        ("post", f"/referrals/{customer.pk}/add/", {"first_name": "X"}),
        ("post", f"/referrals/{customer.pk}/ask/", {"channel": "call", "answer": "yes"}),
        ("post", f"/referrals/r/{referral.pk}/status/", {"status": "contacted"}),
        ("get", f"/referrals/r/{referral.pk}/delete/", {}),
        ("post", f"/referrals/r/{referral.pk}/delete/", {}),
        ("get", detail(customer), {}),
    ]
    for method, url, data in pages:
        assert getattr(outsider_client, method)(url, data).status_code == 404, url
    assert Referral.objects.count() == 1 and not ReferralAsk.objects.exists()
    html = outsider_client.get("/referrals/").content.decode()
    assert "Anna" not in html and "No referrals yet" in html


def test_outsider_gets_404_on_every_api_operation(client, outsider, customer, referral):
    h = bearer(outsider)
    calls = [
        ("get", f"/api/v1/customers/{customer.pk}/referrals", None),
        ("post", f"/api/v1/customers/{customer.pk}/referrals", {"first_name": "X"}),
        ("patch", f"/api/v1/referrals/{referral.pk}", {"status": "contacted"}),
        ("get", f"/api/v1/customers/{customer.pk}/referral-asks", None),
        ("post", f"/api/v1/customers/{customer.pk}/referral-asks", {"answer": "yes"}),
    ]
    for method, url, data in calls:
        response = (
            getattr(client, method)(url, data, content_type="application/json", headers=h)
            if data is not None
            else getattr(client, method)(url, headers=h)
        )
        assert response.status_code == 404, url
    assert client.get("/api/v1/referrals/top", headers=h).json() == []
    assert Referral.objects.get().status == "introduced"


# ---------------------------------------------------------------- the API


def test_api_record_status_asks_and_top(client, rep, customer, nils):
    h = bearer(rep)
    url = f"/api/v1/customers/{customer.pk}/referrals"
    made = client.post(url, {"referred_id": nils.pk}, content_type="application/json", headers=h)
    assert made.status_code == 201
    rid = made.json()["id"]
    again = client.post(
        url, {"referred_id": customer.pk}, content_type="application/json", headers=h
    )
    assert again.status_code == 422
    patched = client.patch(
        f"/api/v1/referrals/{rid}", {"status": "became_customer"}, content_type="application/json",
        headers=h,
    )  # fmt: skip
    assert patched.json()["status"] == "became_customer"
    asks = f"/api/v1/customers/{customer.pk}/referral-asks"
    posted = client.post(
        asks, {"channel": "email", "answer": "yes"}, content_type="application/json", headers=h
    )
    assert posted.status_code == 201
    listed = client.get(asks, headers=h).json()
    assert listed["ask_allowed"] is False and len(listed["asks"]) == 1
    top = client.get("/api/v1/referrals/top", headers=h).json()
    assert top[0]["referrer_id"] == customer.pk and top[0]["converted"] == 1
    tree = client.get(url, headers=h).json()
    assert tree["stats"]["made"] == 1 and tree["nodes"][0]["name"] == "Nils Holm"


def test_api_refuses_a_cycle(client, rep, customer, nils):
    services.record_referral(customer, nils, by=rep)
    response = client.post(
        f"/api/v1/customers/{nils.pk}/referrals", {"referred_id": customer.pk},
        content_type="application/json", headers=bearer(rep),
    )  # fmt: skip
    assert response.status_code == 422
    assert "cycle" in response.json()["detail"][0]["message"]
