"""The Value page, refresh, the forecast check and the customer's Value card."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from conftest import client_for
from lifelong.customers.models import Customer
from lifelong.value import text
from lifelong.value.records import RiskScore, ValueFit, ValueSnapshot
from lifelong.value.services import refresh_values

from .purchases import buy, make_customers
from .test_services import NOW, shop

INDEX = reverse("value:index")
REFRESH = reverse("value:refresh")
HOLDOUT = reverse("value:holdout")


@pytest.fixture
def sixty(owner, customer):
    """Sixty customers of the owner's, Anna (the rep's) with three purchases; refreshed."""
    customers = shop(owner, 60)
    for day in (dt.date(2024, 1, 5), dt.date(2024, 3, 1), dt.date(2024, 6, 1)):
        buy(customer, day, "120.00")
    refresh_values(NOW)
    return customers


def test_login_is_required(client, db):
    for url in (INDEX, HOLDOUT):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_without_purchases_the_page_says_what_to_do(owner_client):
    r = owner_client.get(INDEX)
    assert r.status_code == 200
    assert b"No purchases yet" in r.content
    assert b"lifelong import purchases FILE.csv" in r.content
    assert b"Refresh now" in r.content


def test_with_purchases_but_no_refresh_yet(owner_client, customer):
    buy(customer, dt.date(2024, 1, 5))
    r = owner_client.get(INDEX)
    assert b"Not computed yet" in r.content
    assert b"Run <code>lifelong value refresh</code> or press Refresh" in r.content


def test_the_page_for_an_owner(owner_client, sixty):
    r = owner_client.get(INDEX)
    assert r.status_code == 200
    page = r.content.decode()
    assert "of your customers bring" in page
    assert "61 customers with purchases" in page
    assert page.count('class="curve"') == 1
    assert page.count('<rect class="bar"') >= 5
    assert page.count('<td style="--heat:') == 25
    assert "refreshed" in page and "with BG/NBD" in page
    top = ValueSnapshot.objects.order_by("-clv_2y").first()
    assert reverse("customers:detail", args=[top.customer_id]) in page
    assert "Contact every 14 days · extras allowed" in page


def test_a_rep_sees_only_their_customers(rep_client, sixty, customer):
    page = rep_client.get(INDEX).content.decode()
    assert "1 customer with purchases" in page
    assert reverse("customers:detail", args=[customer.pk]) in page
    other = sixty[0]
    assert reverse("customers:detail", args=[other.pk]) not in page
    assert "Refresh now" not in page


def test_an_outsider_sees_an_empty_page(outsider_client, sixty):
    page = outsider_client.get(INDEX).content.decode()
    assert "of your customers bring" not in page
    assert "No purchases yet" in page


def test_refresh_is_a_post_for_owners_and_managers(owner_client, rep_client, manager, customer):
    buy(customer, dt.date(2024, 1, 5))
    assert rep_client.post(REFRESH).status_code == 403
    assert not ValueFit.objects.exists()
    assert owner_client.get(REFRESH).status_code == 405
    r = owner_client.post(REFRESH, follow=True)
    assert r.redirect_chain == [(INDEX, 302)]
    assert b"Values refreshed without a model." in r.content
    assert ValueSnapshot.objects.filter(customer=customer).exists()
    assert client_for(manager).post(REFRESH).status_code == 302
    assert ValueFit.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_refresh_with_a_model(owner_client, sixty):
    r = owner_client.post(REFRESH, follow=True)
    assert b"Values refreshed for 61 customers" in r.content
    # The button scores the risk too, so the at-risk list is as fresh as the values.
    assert RiskScore.objects.exists()
    assert f"; {RiskScore.objects.count():,} at risk.".encode() in r.content


@time_machine.travel(NOW, tick=False)
def test_the_forecast_check_defaults_to_the_last_26_weeks(owner_client, sixty):
    r = owner_client.get(HOLDOUT)
    assert r.status_code == 200
    page = r.content.decode()
    until = (NOW.date() - dt.timedelta(weeks=26)).isoformat()
    assert f'value="{until}"' in page
    assert "Repeat purchases per customer in the holdout" in page
    assert page.count('class="bar bar-actual"') == 8
    assert f"lifelong value holdout --until {until} --horizon 26 --model bgnbd" in page


@time_machine.travel(NOW, tick=False)
def test_the_forecast_check_refuses_a_holdout_past_today(owner_client, sixty):
    r = owner_client.get(HOLDOUT, {"until": "2024-06-01", "horizon": "26", "model": "bgnbd"})
    assert b"The holdout would run past today; at most 4 weeks" in r.content
    assert b"Repeat purchases per customer in the holdout" not in r.content
    r = owner_client.get(HOLDOUT, {"until": "2024-07-01", "horizon": "1", "model": "bgnbd"})
    assert b"The calibration must end before today." in r.content


@time_machine.travel(NOW, tick=False)
def test_the_forecast_check_for_a_rep_uses_their_customers(rep_client, sixty):
    r = rep_client.get(HOLDOUT, {"until": "2024-02-01", "horizon": "8", "model": "pnbd"})
    assert b"by Pareto/NBD for 1 customer" in r.content


@time_machine.travel(NOW, tick=False)
def test_the_forecast_check_before_anyone_bought(outsider_client, sixty):
    r = outsider_client.get(HOLDOUT, {"until": "2024-02-01", "horizon": "8", "model": "bgnbd"})
    assert b"Nobody had bought anything by 2024-02-01." in r.content


# ---------------------------------------------------------------- the customer page


def test_the_customer_page_shows_the_value_card_first(rep_client, sixty, customer):
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="value"' in page
    assert page.index('id="value"') < page.index('id="timeline-card"')
    snap = ValueSnapshot.objects.get(customer=customer)
    assert f"Tier {snap.tier}" in page
    assert text.value_sentence(customer, snap, "EUR") in page
    assert "Anna is" in page and "over the next two years" in page


def test_the_card_without_purchases(rep_client, customer):
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "No purchases yet, so no value tier" in page


def test_the_card_before_the_next_refresh(rep_client, customer):
    buy(customer, dt.date(2024, 1, 5))
    page = rep_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "values have not been worked out since" in page


def test_an_outsider_cannot_open_the_customer(outsider_client, sixty, customer):
    assert outsider_client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404


# ---------------------------------------------------------------- the sentence


def snapshot(**kw) -> ValueSnapshot:
    defaults = dict(
        revenue=Decimal("300"), purchase_count=3, purchase_days=3, p_alive=0.97, clv_2y=1237.6,
        first_purchase_on=dt.date(2024, 1, 1), last_purchase_on=dt.date(2024, 6, 1),
    )  # fmt: skip
    return ValueSnapshot(**{**defaults, **kw})


def test_the_sentence():
    anna = Customer(first_name="Anna", last_name="Berg")
    assert text.value_sentence(anna, snapshot(), "EUR") == (
        "Anna is very likely still a customer (97%) and is expected to bring about €1,240 "
        "over the next two years."
    )
    assert "probably no longer buying (12%)" in text.value_sentence(
        anna, snapshot(p_alive=0.12), "EUR"
    )
    assert "about 1,240 SEK" in text.value_sentence(anna, snapshot(), "SEK")
    company = Customer(company="Berg Bygg AB")
    assert text.value_sentence(company, snapshot(p_alive=None, clv_2y=None), "EUR") == (
        "Berg Bygg AB has bought on 3 days, €300 in all; there is not yet enough purchase "
        "history to forecast."
    )


def test_money_and_percentages():
    assert text.money(1240.4, "EUR") == "€1,240"
    assert text.money(-5, "USD") == "-$5"
    assert text.money(None, "EUR") == ""
    assert text.about(1237.6) == 1240 and text.about(87.26) == 87 and text.about(0) == 0
    assert text.percent(0.996) == "99%" and text.percent(1.0) == "100%"
    assert text.percent(0.29) == "29%"


def test_one_customer_is_a_customer(owner_client, owner):
    (c,) = make_customers(owner, 1)
    buy(c, dt.date(2024, 1, 5))
    refresh_values(NOW)
    assert b"1 customer with purchases" in owner_client.get(INDEX).content
