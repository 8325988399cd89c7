import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from lifelong.touches.services import delete_touch, log_touch, save_touch

NOW = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_a_touch_moves_last_touched_forward_but_not_back(customer, rep):
    log_touch(customer, user=rep, channel="call", summary="Called about renewal")
    customer.refresh_from_db()
    assert customer.last_touched_at == NOW
    log_touch(
        customer, user=rep, channel="letter", summary="Old letter", occurred_at=NOW.replace(month=1)
    )
    customer.refresh_from_db()
    assert customer.last_touched_at == NOW


@time_machine.travel(NOW, tick=False)
def test_editing_or_deleting_the_latest_touch_recomputes_last_touched(customer, rep):
    old = log_touch(
        customer, user=rep, channel="call", summary="a", occurred_at=NOW.replace(month=2)
    )
    new = log_touch(customer, user=rep, channel="email", summary="b")
    new.occurred_at = NOW.replace(month=3)
    save_touch(new)
    customer.refresh_from_db()
    assert customer.last_touched_at == NOW.replace(month=3)
    delete_touch(new)
    customer.refresh_from_db()
    assert customer.last_touched_at == old.occurred_at
    delete_touch(old)
    customer.refresh_from_db()
    assert customer.last_touched_at is None


@time_machine.travel(NOW, tick=False)
def test_a_touch_in_the_future_is_refused(customer, rep):
    with pytest.raises(ValidationError) as e:
        log_touch(
            customer, user=rep, channel="call", summary="x", occurred_at=NOW.replace(year=2027)
        )
    assert "occurred_at" in e.value.message_dict
    customer.refresh_from_db()
    assert customer.last_touched_at is None


def test_unknown_channel_and_empty_summary_are_refused(customer, rep):
    with pytest.raises(ValidationError) as e:
        log_touch(customer, user=rep, channel="pigeon", summary="  ")
    assert {"channel", "summary"} <= set(e.value.message_dict)
