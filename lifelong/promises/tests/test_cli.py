import datetime as dt
import json
import random
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from lifelong.customers.models import Customer
from lifelong.promises import services
from lifelong.promises.demo import add_demo_promises
from lifelong.promises.models import Promise, Status
from lifelong.promises.tests.conftest import NOW, TODAY, made_earlier, make

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("promises", *args, stdout=out)
    return out.getvalue()


def test_due_as_json(rep, manager, customer):
    overdue = made_earlier(customer, rep, due_on=TODAY, at=NOW, what="Overdue")
    window = made_earlier(
        customer,
        rep,
        window=(NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2, hours=2)),
        at=NOW,
        what="Visit",
    )
    made_earlier(customer, rep, due_on=TODAY + dt.timedelta(days=9), at=NOW, what="Later")
    theirs = made_earlier(customer, manager, due_on=TODAY + dt.timedelta(days=1), at=NOW)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        data = json.loads(run("--due", "--json"))
        assert [d["id"] for d in data] == [overdue.pk, theirs.pk, window.pk]
        assert data[0] == {
            "id": overdue.pk,
            "customer_id": customer.pk,
            "customer_name": "Anna Berg",
            "what": "Overdue",
            "due": "2025-06-10",
            "status": "open",
            "overdue": True,
            "owner": "ruben",
        }
        assert data[2]["due"] == "2025-06-12T12:00:00+00:00"
        assert data[2]["overdue"] is False
        mine = json.loads(run("--due", "--json", "--user", "ruben"))
        assert [d["id"] for d in mine] == [overdue.pk, window.pk]
        text = run("--due")
        assert "OVERDUE" in text and "Anna Berg — Overdue (ruben)" in text


@time_machine.travel(NOW, tick=False)
def test_nothing_due(rep):
    assert run("--due") == "No promise is due soon or overdue.\n"
    assert json.loads(run("--due", "--json")) == []


@time_machine.travel(NOW, tick=False)
def test_bad_arguments(rep):
    with pytest.raises(CommandError, match="--due"):
        run()
    with pytest.raises(CommandError, match="No user"):
        run("--due", "--user", "nobody")


@time_machine.travel(NOW, tick=False)
def test_the_demo_makes_a_realistic_mix(rep):
    customers = Customer.objects.bulk_create(
        Customer(owner=rep, first_name=f"C{i}", sort_name=f"c{i}") for i in range(90)
    )
    made = add_demo_promises(customers, random.Random(7), TODAY)
    assert made == Promise.objects.count() > 30
    statuses = set(Promise.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert Promise.objects.filter(services.overdue_q()).exists()
    assert services.due_soon(Promise.objects.all(), days=2).exclude(services.overdue_q()).exists()
    for p in Promise.objects.all():
        assert p.deadline == services.deadline_of(p.due_on, p.window_end)
        if p.status == Status.KEPT:
            assert p.kept_at <= p.deadline
        if p.status == Status.KEPT_LATE:
            assert p.kept_at > p.deadline
        if p.status == Status.RENEGOTIATED:
            assert p.renegotiated_to is not None
        for moment in (p.created_at, p.kept_at, p.broken_at):
            assert moment is None or moment <= NOW
    rate = services.kept_rate(Promise.objects.all()).rate
    assert 0.75 < rate < 0.97
    assert add_demo_promises([], random.Random(1), TODAY) == 0
    make(customers[0], rep)  # the service still works on demo data
