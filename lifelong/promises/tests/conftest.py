"""Promises under test: Stockholm business time, a frozen "now", and a way to make one."""

from __future__ import annotations

import datetime as dt

import pytest

from lifelong.outreach.tests.conftest import base_url, business, smtp_server  # noqa: F401
from lifelong.promises import services
from lifelong.promises.models import Promise

# Tuesday 10 June 2025, 12:00 in Stockholm (UTC+2 in summer).
NOW = dt.datetime(2025, 6, 10, 10, tzinfo=dt.UTC)
TODAY = dt.date(2025, 6, 10)
STOCKHOLM = dt.timezone(dt.timedelta(hours=2))


def make(customer, owner, *, due_on=None, window=None, what="Call back with the quote", **kw):
    """A promise made now; `window` is (start, end) as aware datetimes."""
    start, end = window if window else (None, None)
    if due_on is None and window is None:
        due_on = TODAY + dt.timedelta(days=1)
    return services.make_promise(
        customer,
        what=what,
        owner=owner,
        by=owner,
        due_on=due_on,
        window_start=start,
        window_end=end,
        **kw,
    )


def made_earlier(customer, owner, *, due_on=None, window=None, at: dt.datetime, **kw) -> Promise:
    """A promise made at `at` (so its date may be past now)."""
    import time_machine

    with time_machine.travel(at, tick=False):
        return make(customer, owner, due_on=due_on, window=window, **kw)


@pytest.fixture
def promise(rep, customer) -> Promise:
    import time_machine

    with time_machine.travel(NOW, tick=False):
        return make(customer, rep)
