"""`lifelong audit`: the trail for scripts, oldest first."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command

from lifelong.audit.log import record

pytestmark = pytest.mark.django_db


def audit(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def trail(owner, rep):
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        record(rep, "view", customer_id=7, target="customer", ip="192.0.2.1")
    with time_machine.travel(dt.datetime(2025, 3, 4, 9, tzinfo=dt.UTC), tick=False):
        record(owner, "change", customer_id=8, target="customer.answers", via="api")
        record(None, "export", target="export all", via="cli")


def test_text_oldest_first_in_the_business_time_zone(trail):
    lines = audit().splitlines()
    assert lines == [
        "2025-03-01 10:00:00  ruben  view  customer  #7  web  192.0.2.1",
        "2025-03-04 10:00:00  olivia  change  customer.answers  #8  api",
        "2025-03-04 10:00:00  (system)  export  export all  -  cli",
    ]


def test_json_lines_and_filters(trail):
    events = [json.loads(line) for line in audit("--json", "--customer", "7").splitlines()]
    assert events == [
        {
            "id": events[0]["id"],
            "at": "2025-03-01T09:00:00+00:00",
            "user": "ruben",
            "action": "view",
            "target": "customer",
            "customer_id": 7,
            "via": "web",
            "ip": "192.0.2.1",
        }
    ]
    assert len(audit("--since", "2025-03-02").splitlines()) == 2
    assert len(audit("--until", "2025-03-01").splitlines()) == 1
    assert len(audit("--action", "export", "--json").splitlines()) == 1
    assert audit("--user", "olivia").count("olivia") == 1
    assert audit("--customer", "99") == ""


def test_bad_dates_are_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        audit("--since", "March")
    with pytest.raises(CommandError, match="before"):
        audit("--since", "2025-03-02", "--until", "2025-03-01")
