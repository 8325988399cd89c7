"""The at-risk score (value/risk.py): each signal at its boundaries, the score, the ranking
by value at stake, the stored scores (refresh_risk), the agenda item, the page and the
API, and who sees what."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import bearer, client_for
from lifelong.accounts.models import Business
from lifelong.agenda.items import Day
from lifelong.agenda.services import act, agenda, customers_for
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.outreach.models import Message, MessageStatus, Program, ProgramKind, Template
from lifelong.promises.models import Promise
from lifelong.promises.models import Status as PromiseStatus
from lifelong.surveys.models import Invitation, Kind, Response, Survey
from lifelong.touches.models import Touch
from lifelong.touches.services import log_touch
from lifelong.value import risk
from lifelong.value.agenda_sources import at_risk_items
from lifelong.value.records import AliveHistory, RiskMark, RiskScore, ValueSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> dt.date:
    return Business.get().today()


def start(day: dt.date) -> dt.datetime:
    return Business.get().start_of(day)


def only(customer: Customer) -> object:
    return Customer.objects.filter(pk=customer.pk)


def ctx(today: dt.date, **cfg) -> risk.Context:
    return risk.Context(today, Business.get().tzinfo, {**risk.risk_settings(), **cfg})


def snapshot(customer: Customer, today: dt.date, **fields) -> ValueSnapshot:
    defaults = dict(
        revenue=Decimal(100), purchase_count=1, purchase_days=1,
        first_purchase_on=today - dt.timedelta(days=10),
        last_purchase_on=today - dt.timedelta(days=10),
        recency_score=3, frequency_score=1, monetary_score=3, rfm_cell="313", tier="A",
    )  # fmt: skip
    return ValueSnapshot.objects.create(customer=customer, **{**defaults, **fields})


def another(owner, name: str) -> Customer:
    return save_customer(Customer(owner=owner, first_name=name, last_name="Test"))


# ---------------------------------------------------------------- overdue


def test_overdue_fires_the_day_after_the_due_date(customer, today):
    Customer.objects.filter(pk=customer.pk).update(
        next_due_at=start(today) - dt.timedelta(seconds=1)
    )
    found = risk.overdue(only(customer), ctx(today))
    assert "due every 30" in found[customer.pk]
    assert found[customer.pk].startswith("never contacted")


def test_overdue_not_on_the_due_day(customer, today):
    Customer.objects.filter(pk=customer.pk).update(next_due_at=start(today))
    assert risk.overdue(only(customer), ctx(today)) == {}


def test_overdue_says_days_since_the_last_touch(customer, today, rep):
    log_touch(customer, user=rep, channel="call", summary="hi")
    Touch.objects.filter(customer=customer).update(occurred_at=start(today) - dt.timedelta(days=46))
    Customer.objects.filter(pk=customer.pk).update(
        last_touched_at=start(today) - dt.timedelta(days=46, hours=-12),
        next_due_at=start(today) - dt.timedelta(days=1),
    )
    assert risk.overdue(only(customer), ctx(today))[customer.pk] == (
        "no contact for 46 days, due every 30"
    )


def test_overdue_grace_days(customer, today):
    Customer.objects.filter(pk=customer.pk).update(next_due_at=start(today) - dt.timedelta(days=1))
    assert risk.overdue(only(customer), ctx(today, overdue_grace_days=1)) == {}
    assert customer.pk in risk.overdue(only(customer), ctx(today, overdue_grace_days=0))


# ---------------------------------------------------------------- purchase gap


def gap_snapshot(customer, today, since: int, **extra) -> ValueSnapshot:
    """Four purchase days 60 days apart on average, the last `since` days ago."""
    last = today - dt.timedelta(days=since)
    return snapshot(
        customer, today, purchase_days=4, purchase_count=4,
        first_purchase_on=last - dt.timedelta(days=180), last_purchase_on=last, **extra,
    )  # fmt: skip


def test_gap_fires_past_twice_the_usual_gap(customer, today):
    gap_snapshot(customer, today, 121)
    found = risk.purchase_gap(only(customer), ctx(today))
    assert found[customer.pk] == "last bought 121 days ago; usually every 60"


def test_gap_not_at_exactly_twice_the_usual_gap(customer, today):
    gap_snapshot(customer, today, 120)
    assert risk.purchase_gap(only(customer), ctx(today)) == {}


def test_gap_needs_enough_purchase_days(customer, today):
    last = today - dt.timedelta(days=400)
    snapshot(
        customer, today, purchase_days=2, first_purchase_on=last - dt.timedelta(days=30),
        last_purchase_on=last,
    )  # fmt: skip
    assert risk.purchase_gap(only(customer), ctx(today)) == {}
    assert customer.pk in risk.purchase_gap(only(customer), ctx(today, gap_min_purchase_days=2))


def test_gap_fires_on_a_low_p_alive(customer, today):
    gap_snapshot(customer, today, 30, p_alive=0.29)
    assert risk.purchase_gap(only(customer), ctx(today))[customer.pk] == (
        "last bought 30 days ago; P(alive) 0.29"
    )


def test_gap_not_at_the_p_alive_threshold(customer, today):
    gap_snapshot(customer, today, 30, p_alive=0.30)
    assert risk.purchase_gap(only(customer), ctx(today)) == {}


# ---------------------------------------------------------------- P(alive) fell


def history(customer, month: dt.date, before: float, now: float) -> None:
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    AliveHistory.objects.create(customer=customer, month=previous, p_alive=before)
    AliveHistory.objects.create(customer=customer, month=month, p_alive=now)


def test_fall_of_exactly_the_threshold_fires(customer, today):
    month = today.replace(day=1)
    history(customer, month, 0.82, 0.72)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    assert risk.alive_fall(only(customer), ctx(today))[customer.pk] == (
        f"P(alive) fell from 0.82 to 0.72 since {previous:%B}"
    )


def test_fall_below_the_threshold_does_not(customer, today):
    history(customer, today.replace(day=1), 0.82, 0.73)
    assert risk.alive_fall(only(customer), ctx(today)) == {}


def test_fall_needs_both_months(customer, today):
    AliveHistory.objects.create(customer=customer, month=today.replace(day=1), p_alive=0.1)
    assert risk.alive_fall(only(customer), ctx(today)) == {}


# ---------------------------------------------------------------- low survey score


def response(customer, score: int, when: dt.datetime, kind: str = Kind.NPS) -> Response:
    survey = Survey.objects.create(name="How are we doing?", kind=kind)
    invitation = Invitation.objects.create(survey=survey, customer=customer, occurrence="x")
    return Response.objects.create(
        invitation=invitation, customer=customer, score=score, submitted_at=when
    )


def test_low_score_180_days_ago_fires(customer, today):
    response(customer, 6, start(today - dt.timedelta(days=180)))
    assert "scored 6 on a survey" in risk.low_survey(only(customer), ctx(today))[customer.pk]


def test_low_score_181_days_ago_does_not(customer, today):
    response(customer, 6, start(today - dt.timedelta(days=180)) - dt.timedelta(seconds=1))
    assert risk.low_survey(only(customer), ctx(today)) == {}


def test_a_passive_score_is_not_low(customer, today):
    response(customer, 7, start(today))
    response(customer, 3, start(today), kind=Kind.SATISFACTION)
    assert risk.low_survey(only(customer), ctx(today)) == {}


# ---------------------------------------------------------------- broken promise


def broken(customer, when: dt.datetime) -> Promise:
    return Promise.objects.create(
        customer=customer, what="call back with the quote", status=PromiseStatus.BROKEN,
        broken_at=when,
    )  # fmt: skip


def test_broken_promise_within_180_days_fires(customer, today):
    broken(customer, start(today - dt.timedelta(days=180)))
    words = risk.broken_promise(only(customer), ctx(today))[customer.pk]
    assert words.endswith(": call back with the quote")


def test_broken_promise_before_that_does_not(customer, today):
    broken(customer, start(today - dt.timedelta(days=180)) - dt.timedelta(seconds=1))
    Promise.objects.create(customer=customer, what="open one")
    assert risk.broken_promise(only(customer), ctx(today)) == {}


# ---------------------------------------------------------------- unanswered emails


@pytest.fixture
def program() -> Program:
    template = Template.objects.create(name="News", subject="News", body_text="Hello")
    return Program.objects.create(name="News", kind=ProgramKind.ONE_OFF, template=template)


def sent(customer, program, when: dt.datetime, n: int = 0) -> Message:
    return Message.objects.create(
        program=program, customer=customer, occurrence=f"o{n}", status=MessageStatus.SENT,
        sent_at=when, message_id=f"<{customer.pk}.{n}@test>",
    )  # fmt: skip


def test_two_unanswered_emails_fire(customer, today, program):
    sent(customer, program, start(today - dt.timedelta(days=90)), 1)
    sent(customer, program, start(today - dt.timedelta(days=10)), 2)
    assert "2 emails since" in risk.unanswered(only(customer), ctx(today))[customer.pk]


def test_one_email_is_not_enough(customer, today, program):
    sent(customer, program, start(today - dt.timedelta(days=91)), 1)  # outside the window
    sent(customer, program, start(today - dt.timedelta(days=10)), 2)
    assert risk.unanswered(only(customer), ctx(today)) == {}


def test_a_reply_after_the_first_email_answers_them(customer, today, program, rep):
    sent(customer, program, start(today - dt.timedelta(days=30)), 1)
    sent(customer, program, start(today - dt.timedelta(days=10)), 2)
    log_touch(
        customer, user=rep, channel="email", summary="Re: news", direction="inbound",
        occurred_at=start(today - dt.timedelta(days=30)),
    )  # fmt: skip
    assert risk.unanswered(only(customer), ctx(today)) == {}


def test_a_reply_before_the_first_email_does_not(customer, today, program, rep):
    sent(customer, program, start(today - dt.timedelta(days=30)), 1)
    sent(customer, program, start(today - dt.timedelta(days=10)), 2)
    log_touch(
        customer, user=rep, channel="email", summary="Re: old", direction="inbound",
        occurred_at=start(today - dt.timedelta(days=31)),
    )  # fmt: skip
    assert customer.pk in risk.unanswered(only(customer), ctx(today))


# ---------------------------------------------------------------- score and ranking


def test_score_combines_weights_as_noisy_or():
    assert risk.combine([]) == 0
    assert risk.combine([0.5, 0.5]) == pytest.approx(0.75)
    assert risk.combine([1.0, 0.2]) == 1.0


def test_ranked_by_value_at_stake(rep, today):
    small, big = another(rep, "Small"), another(rep, "Big")
    gap_snapshot(small, today, 200, clv_2y=100.0)
    gap_snapshot(big, today, 200, clv_2y=1000.0)
    # The small customer has two signals (a higher score), the big one value.
    broken(small, start(today))
    found = risk.at_risk(Customer.objects.all(), today, limit=10)
    assert [r.customer for r in found] == [big, small]
    assert found[0].value_at_stake == pytest.approx(1000 * 0.4)
    assert found[1].score == pytest.approx(risk.combine([0.4, 0.35]), abs=1e-4)
    assert found[1].reasons[0].startswith("last bought 200 days ago")
    assert found[1].action == risk.ACTIONS["gap"]


def test_revenue_stands_in_without_a_model(customer, today):
    gap_snapshot(customer, today, 200, revenue=Decimal(500))
    assert risk.at_risk(only(customer), today)[0].value_at_stake == pytest.approx(200.0)


def test_signals_filter_and_limit(rep, today):
    a, b = another(rep, "A"), another(rep, "B")
    gap_snapshot(a, today, 200)
    broken(b, start(today))
    assert [
        r.customer for r in risk.at_risk(Customer.objects.all(), today, signals=["promise"])
    ] == [b]
    assert len(risk.at_risk(Customer.objects.all(), today, limit=1)) == 1


def test_nobody_at_risk_is_an_empty_list(customer, today):
    assert risk.at_risk(only(customer), today) == []
    assert risk.risk_of(customer, today) is None


# ---------------------------------------------------------------- agenda


def at_risk_customer(customer, today) -> None:
    gap_snapshot(customer, today, 200, clv_2y=800.0)
    Customer.objects.filter(pk=customer.pk).update(tier="A", value_rank=10)
    broken(customer, start(today))
    risk.refresh_risk(today)


def test_agenda_item_names_the_reasons(customer, rep, today):
    at_risk_customer(customer, today)
    items = agenda(rep, today, kinds=["at_risk"])
    assert [i.key for i in items] == [f"at_risk:{customer.pk}"]
    assert items[0].reason.startswith("At risk: last bought 200 days ago")
    assert "— Anna Berg (tier A) —" in items[0].reason
    assert items[0].extra["value_at_stake"] > 0


def test_agenda_leaves_out_low_scores(customer, rep, today):
    Customer.objects.filter(pk=customer.pk).update(next_due_at=start(today) - dt.timedelta(days=2))
    risk.refresh_risk(today)
    assert RiskScore.objects.get(customer=customer).agenda_rank is None
    assert agenda(rep, today, kinds=["at_risk"]) == []  # overdue alone: 0.25 < 0.40


def test_done_logs_a_touch_and_hides_it(customer, rep, today):
    at_risk_customer(customer, today)
    act(rep, f"at_risk:{customer.pk}", "done", today=today)
    assert Touch.objects.filter(customer=customer).count() == 1
    assert agenda(rep, today, kinds=["at_risk"]) == []
    later = today + dt.timedelta(days=30)
    assert RiskMark.objects.get(customer=customer).hidden_until == later


def test_snooze_and_dismiss(customer, rep, today):
    at_risk_customer(customer, today)
    act(rep, f"at_risk:{customer.pk}", "snooze", days=3, today=today)
    assert agenda(rep, today + dt.timedelta(days=2), kinds=["at_risk"]) == []
    assert agenda(rep, today + dt.timedelta(days=3), kinds=["at_risk"]) != []
    act(rep, f"at_risk:{customer.pk}", "dismiss", today=today)
    assert RiskMark.objects.get(customer=customer).hidden_until == today + dt.timedelta(days=90)


def test_outsider_cannot_act(customer, outsider, today):
    from django.http import Http404

    at_risk_customer(customer, today)
    assert agenda(outsider, today, kinds=["at_risk"], everyone=True) == []
    with pytest.raises(Http404):
        act(outsider, f"at_risk:{customer.pk}", "done", today=today)


# ---------------------------------------------------------------- page and API


def test_page_lists_reasons(customer, rep_client, today):
    at_risk_customer(customer, today)
    page = rep_client.get("/value/at-risk/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Anna Berg" in html and "Last bought 200 days ago" in html


def test_page_filters(customer, owner_client, rep, today):
    at_risk_customer(customer, today)
    assert "Anna Berg" in owner_client.get(f"/value/at-risk/?owner={rep.pk}").content.decode()
    assert "Anna Berg" not in owner_client.get("/value/at-risk/?tier=C").content.decode()
    assert "Anna Berg" not in owner_client.get("/value/at-risk/?signal=survey").content.decode()
    assert "Anna Berg" in owner_client.get("/value/at-risk/?signal=promise").content.decode()


def test_page_is_empty_for_an_outsider(customer, outsider_client, today):
    at_risk_customer(customer, today)
    page = outsider_client.get("/value/at-risk/")
    assert page.status_code == 200
    assert "Anna Berg" not in page.content.decode()


def test_page_needs_a_login(client):
    assert client.get("/value/at-risk/").status_code == 302


def test_value_page_links_it(owner_client):
    assert "/value/at-risk/" in owner_client.get("/value/").content.decode()


def test_api_lists_risks(customer, rep, outsider, today):
    at_risk_customer(customer, today)
    client = client_for(rep)
    body = client.get("/api/v1/at-risk", headers=bearer(rep)).json()
    assert body["items"][0]["customer_id"] == customer.pk
    assert body["items"][0]["reasons"][0].startswith("last bought")
    empty = client.get("/api/v1/at-risk", headers=bearer(outsider)).json()
    assert empty["items"] == []


def test_visible_customers_are_the_reps_own(customer, rep, outsider, today):
    at_risk_customer(customer, today)
    assert risk.at_risk(customers_visible_to(outsider), today) == []
    assert len(risk.at_risk(customers_visible_to(rep), today)) == 1


def test_api_filters_by_signal(customer, rep, today):
    at_risk_customer(customer, today)
    client = client_for(rep)
    body = client.get("/api/v1/at-risk?signal=promise", headers=bearer(rep)).json()
    assert [i["customer_id"] for i in body["items"]] == [customer.pk] and body["total"] == 1
    body = client.get("/api/v1/at-risk?signal=survey", headers=bearer(rep)).json()
    assert body["items"] == [] and body["total"] == 0


# ---------------------------------------------------------------- stored scores


def test_refresh_stores_what_assess_finds(customer, today):
    at_risk_customer(customer, today)
    row = RiskScore.objects.get(customer=customer)
    fresh = risk.at_risk(only(customer), today)[0]
    assert (row.score, row.reasons, row.signals, row.action) == (
        fresh.score, fresh.reasons, fresh.signals, fresh.action,
    )  # fmt: skip
    assert row.value_at_stake == fresh.value_at_stake
    # The value decile of the snapshot (0 here: the test set only the customer's copy).
    assert row.value_rank == ValueSnapshot.objects.get(customer=customer).value_rank
    assert row.agenda_rank == pytest.approx(row.value_rank + 0.999 * fresh.score, abs=1e-4)


def test_refresh_deletes_customers_no_longer_at_risk(customer, today):
    at_risk_customer(customer, today)
    Promise.objects.filter(customer=customer).delete()
    ValueSnapshot.objects.filter(customer=customer).delete()
    result = risk.refresh_risk(today)
    assert result.customers == 0
    assert not RiskScore.objects.exists()


def test_a_touch_after_the_refresh_drops_the_agenda_item(customer, rep, today):
    at_risk_customer(customer, today)
    assert agenda(rep, today, kinds=["at_risk"]) != []
    log_touch(customer, user=rep, channel="call", summary="How are things?")
    assert agenda(rep, today, kinds=["at_risk"]) == []
    risk.refresh_risk(today)  # the next refresh decides again: still at risk
    assert agenda(rep, today, kinds=["at_risk"]) != []


def test_agenda_queries_do_not_grow_with_customers_at_risk(rep, today):
    def queries() -> tuple[int, int]:
        risk.refresh_risk(today)
        customers, day = customers_for(rep), Day.of(today)
        with CaptureQueriesContext(connection) as ctx:
            items = at_risk_items(customers, day, 50, False)
        return len(ctx.captured_queries), len(items)

    for i in range(2):
        at_risk_customer(another(rep, f"One{i}"), today)
    few, n_few = queries()
    for i in range(12):
        at_risk_customer(another(rep, f"Many{i}"), today)
    many, n_many = queries()
    assert (n_few, n_many) == (2, 14)
    assert many == few


def test_value_risk_command(customer, today):
    gap_snapshot(customer, today, 200, clv_2y=800.0)
    out = io.StringIO()
    call_command("value", "risk", "--today", today.isoformat(), stdout=out)
    assert "1 customers at risk" in out.getvalue()
    assert RiskScore.objects.filter(customer=customer).exists()
