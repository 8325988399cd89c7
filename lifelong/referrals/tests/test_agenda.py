import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from lifelong.agenda import services as agenda
from lifelong.commerce.models import Purchase
from lifelong.referrals import services
from lifelong.referrals.agenda_sources import optional_model
from lifelong.referrals.models import ReferralAsk, ReferralStatus
from lifelong.touches.models import Touch

NOW = dt.datetime(2025, 6, 10, 10, tzinfo=dt.UTC)
TODAY = NOW.date()


def buy(customer, days_ago: int) -> Purchase:
    return Purchase.objects.create(
        customer=customer,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        total=Decimal("100"),
        currency="SEK",
    )


def ask_items(user, today=TODAY):
    return agenda.agenda(user, today, kinds=["referral_ask"])


@time_machine.travel(NOW, tick=False)
def test_a_repeat_purchase_proposes_an_ask(rep, customer):
    buy(customer, 60)
    assert ask_items(rep) == []  # a first purchase is not a repeat
    buy(customer, 3)
    (item,) = ask_items(rep)
    assert item.key == f"referral_ask:{customer.pk}"
    assert item.reason.startswith(
        "Repeat purchase — a good moment to ask for a referral — Anna Berg"
    )


@time_machine.travel(NOW, tick=False)
def test_a_repeat_purchase_older_than_two_weeks_is_no_moment(rep, customer):
    buy(customer, 60)
    buy(customer, 20)
    assert ask_items(rep) == []


def test_asks_are_never_proposed_twice_inside_the_interval(rep, customer, settings):
    settings.LIFELONG_REFERRALS = {"ask_interval_days": 90}
    with time_machine.travel(NOW, tick=False):
        buy(customer, 30)
        buy(customer, 1)
        agenda.act(rep, f"referral_ask:{customer.pk}", "done", channel="call", note="")
        ask = ReferralAsk.objects.get(customer=customer)
        assert ask.answer == "no_answer" and ask.channel == "call"
        assert Touch.objects.filter(customer=customer, summary__contains="referral").exists()
        assert ask_items(rep) == []
        assert not services.ask_allowed(customer)
    # Every two weeks a new repeat purchase; no ask proposed until the interval is over.
    for days in range(14, 90, 14):
        with time_machine.travel(NOW + dt.timedelta(days=days), tick=False):
            buy(customer, 0)
            today = TODAY + dt.timedelta(days=days)
            assert ask_items(rep, today) == [], days
    with time_machine.travel(NOW + dt.timedelta(days=92), tick=False):
        buy(customer, 0)
        assert services.ask_allowed(customer)
        assert len(ask_items(rep, TODAY + dt.timedelta(days=92))) == 1


@time_machine.travel(NOW, tick=False)
def test_done_reads_the_answer_from_the_note(rep, customer):
    buy(customer, 30)
    buy(customer, 1)
    agenda.act(
        rep, f"referral_ask:{customer.pk}", "done", channel="meeting", note="Yes, her brother"
    )
    assert ReferralAsk.objects.get(customer=customer).answer == "yes"


@time_machine.travel(NOW, tick=False)
def test_snooze_and_dismiss(rep, customer):
    buy(customer, 30)
    buy(customer, 2)
    agenda.act(rep, f"referral_ask:{customer.pk}", "snooze", days=3, today=TODAY)
    assert ask_items(rep) == []
    assert len(ask_items(rep, TODAY + dt.timedelta(days=3))) == 1
    agenda.act(rep, f"referral_ask:{customer.pk}", "dismiss", today=TODAY)
    assert ask_items(rep, TODAY + dt.timedelta(days=3)) == []


@time_machine.travel(NOW, tick=False)
def test_outsider_cannot_act_on_an_ask(outsider, customer):
    from django.http import Http404

    with pytest.raises(Http404):
        agenda.act(outsider, f"referral_ask:{customer.pk}", "done")
    assert agenda.agenda(outsider, TODAY, kinds=["referral_ask", "referral_thanks"]) == []


@time_machine.travel(NOW, tick=False)
def test_thank_you_on_arrival_and_again_on_conversion(rep, customer, nils):
    referral = services.record_referral(customer, nils, by=rep)
    (item,) = agenda.agenda(rep, TODAY, kinds=["referral_thanks"])
    assert item.customer_id == customer.pk
    assert item.key == f"referral_thanks:{referral.pk}:arrived"
    assert "Thank them for introducing Nils Holm" in item.reason
    agenda.act(rep, item.key, "done", channel="email")
    touch = Touch.objects.get(customer=customer, summary__startswith="Thanked")
    assert touch.summary == "Thanked for introducing Nils Holm"
    assert agenda.agenda(rep, TODAY, kinds=["referral_thanks"]) == []

    services.set_status(referral, ReferralStatus.BECAME_CUSTOMER, by=rep)
    (item,) = agenda.agenda(rep, TODAY, kinds=["referral_thanks"])
    assert item.key == f"referral_thanks:{referral.pk}:converted"
    assert item.title == "Nils Holm became a customer: thank them"
    agenda.act(rep, item.key, "dismiss")
    assert agenda.agenda(rep, TODAY, kinds=["referral_thanks"]) == []


@time_machine.travel(NOW, tick=False)
def test_old_referrals_raise_no_thank_you(rep, customer, nils):
    services.record_referral(customer, nils, by=rep, referred_on=TODAY - dt.timedelta(days=60))
    assert agenda.agenda(rep, TODAY, kinds=["referral_thanks"]) == []


@pytest.mark.skipif(
    optional_model("surveys", "Response") is None,
    reason="surveys.Response has not landed yet (issue 7, item 1)",
)
@time_machine.travel(NOW, tick=False)
def test_a_promoter_score_proposes_an_ask(rep, customer):
    from lifelong.referrals.tests.moments import promoter

    promoter(customer, score=5, at=NOW - dt.timedelta(days=1), kind="satisfaction")
    promoter(customer, score=8, at=NOW - dt.timedelta(days=1))
    assert ask_items(rep) == []  # a passive, and a top satisfaction score, are no promoters
    promoter(customer, score=10, at=NOW - dt.timedelta(days=1))
    (item,) = ask_items(rep)
    assert item.reason.startswith(
        "Promoter (scored 10) — a good moment to ask for a referral — Anna Berg"
    )
    promoter(customer, score=9, at=NOW - dt.timedelta(days=20))
    agenda.act(rep, item.key, "done", channel="email", note="later, after the holidays")
    assert ask_items(rep) == []


@pytest.mark.skipif(
    optional_model("promises", "Promise") is None,
    reason="promises.Promise and its migration have not landed yet (issue 7, item 3)",
)
@time_machine.travel(NOW, tick=False)
def test_a_kept_promise_proposes_an_ask(rep, customer):
    from lifelong.referrals.tests.moments import kept_promise

    kept_promise(customer, rep, at=NOW - dt.timedelta(days=30))
    assert ask_items(rep) == []  # kept too long ago
    kept_promise(customer, rep, at=NOW - dt.timedelta(days=2), status="kept_late")
    (item,) = ask_items(rep)
    assert item.reason.startswith("Kept a promise (late) — a good moment to ask for a referral")
