"""The database's per-customer summary equals summarise_transactions on the same purchases."""

import datetime as dt
import zoneinfo

import numpy as np
import pytest

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer
from lifelong.value.models import summarise_transactions
from lifelong.value.summary import _transitions, customer_summary

from . import cdnow
from .purchases import bulk_buy, buy, load_cdnow, make_customers

CAL_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)


def set_zone(name: str) -> zoneinfo.ZoneInfo:
    business = Business.get()
    business.time_zone = name
    business.save()
    return business.tzinfo


@pytest.fixture
def cdnow_db(owner):
    return load_cdnow(owner)


def test_it_equals_summarise_transactions_on_cdnow(cdnow_db):
    ids, days, dollars = cdnow.transactions()
    expected = summarise_transactions(
        ids, days, cdnow.CALIBRATION_END, spend=dollars, holdout_end=cdnow.HOLDOUT_END
    )
    got = customer_summary(CAL_END, holdout_end=HOLDOUT_END)

    sample_of = {pk: s for s, pk in cdnow_db.items()}
    np.testing.assert_array_equal([sample_of[c] for c in got.customer_ids], expected.customer_ids)
    np.testing.assert_array_equal(got.x, expected.x)
    np.testing.assert_allclose(got.t_x, expected.t_x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.T, expected.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.mean_spend, expected.mean_spend, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(got.x_holdout, expected.x_holdout)
    np.testing.assert_array_equal(got.first, expected.first.astype("datetime64[D]"))
    assert got.x.sum() == 2457
    assert got.x_holdout.sum() == 1882
    assert len(got) == 2357


def test_cdnow_purchase_counts_and_revenue_up_to_the_calibration_end(cdnow_db):
    _, days, dollars = cdnow.transactions()
    in_cal = days <= cdnow.CALIBRATION_END
    got = customer_summary(CAL_END)
    assert got.purchases.sum() == in_cal.sum()
    assert got.revenue.sum() == pytest.approx(dollars[in_cal].sum(), abs=0.01)
    assert got.x_holdout.sum() == 0
    assert got.last.max() == np.datetime64("1997-09-30")


def test_it_merges_purchases_on_the_same_local_day(owner):
    (c,) = make_customers(owner, 1)
    day = dt.date(2024, 5, 2)
    buy(c, day, "10.00")
    buy(c, day, "15.50")
    buy(c, dt.date(2024, 5, 9), "7.00")
    buy(c, dt.date(2024, 5, 9), "3.00")
    buy(c, dt.date(2024, 5, 16), "20.00")
    s = customer_summary(dt.date(2024, 5, 30), unit_days=1)
    assert s.x.tolist() == [2]
    assert s.t_x.tolist() == [14]
    assert s.T.tolist() == [28]
    assert s.purchases.tolist() == [5]
    assert s.revenue.tolist() == [55.5]
    # the first day (25.50) is left out: (10 + 20) / 2
    assert s.mean_spend.tolist() == [15.0]


def test_days_are_the_business_zone_days_not_utc_days(owner):
    set_zone("Europe/Stockholm")
    a, b = make_customers(owner, 2)
    utc = dt.UTC
    # 23:30 UTC on 1 March is 00:30 on 2 March in Stockholm (UTC+1): a new day.
    buy(a, dt.datetime(2024, 3, 1, 12, 0, tzinfo=utc))
    buy(a, dt.datetime(2024, 3, 1, 23, 30, tzinfo=utc))
    # 22:30 UTC on 1 July is 00:30 on 2 July in summer time (UTC+2); 21:30 is still 1 July.
    buy(b, dt.datetime(2024, 7, 1, 12, 0, tzinfo=utc))
    buy(b, dt.datetime(2024, 7, 1, 21, 30, tzinfo=utc))
    buy(b, dt.datetime(2024, 7, 1, 22, 30, tzinfo=utc))
    s = customer_summary(dt.date(2024, 7, 31), unit_days=1)
    assert s.x.tolist() == [1, 1]
    assert s.last.tolist() == [dt.date(2024, 3, 2), dt.date(2024, 7, 2)]

    set_zone("UTC")
    s = customer_summary(dt.date(2024, 7, 31), unit_days=1)
    assert s.x.tolist() == [0, 0]


def test_the_calibration_end_is_the_end_of_the_local_day(owner):
    set_zone("America/New_York")
    (c,) = make_customers(owner, 1)
    buy(c, dt.date(2024, 1, 10))
    # 04:30 UTC on 16 January is 23:30 on 15 January in New York: inside the calibration
    buy(c, dt.datetime(2024, 1, 16, 4, 30, tzinfo=dt.UTC))
    # 05:30 UTC is 00:30 on the 16th: the holdout
    buy(c, dt.datetime(2024, 1, 16, 5, 30, tzinfo=dt.UTC))
    s = customer_summary(dt.date(2024, 1, 15), holdout_end=dt.date(2024, 1, 20), unit_days=1)
    assert s.x.tolist() == [1]
    assert s.x_holdout.tolist() == [1]
    assert s.T.tolist() == [5]


@pytest.mark.parametrize(
    "zone", ["Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"]
)
def test_local_days_match_python_across_daylight_saving_changes(owner, zone):
    tz = set_zone(zone)
    customers = make_customers(owner, 40)
    rng = np.random.default_rng(7)
    start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC).timestamp()
    rows = []
    for c in customers:
        seconds = start + np.sort(rng.integers(0, 5 * 365 * 86400, 12))
        # and a few purchases a second either side of each day's local midnight
        rows += [(c.pk, dt.datetime.fromtimestamp(s, dt.UTC), 1.0) for s in seconds.tolist()]
        for s in seconds[:3].tolist():
            midnight = dt.datetime.fromtimestamp(s, tz).replace(hour=0, minute=0, second=0)
            for delta in (-1, 0, 1):
                rows.append((c.pk, midnight + dt.timedelta(seconds=delta), 2.0))
    bulk_buy(rows)
    until = dt.date(2022, 6, 30)
    got = customer_summary(until, holdout_end=dt.date(2024, 12, 31), unit_days=1)

    ids = np.array([r[0] for r in rows])
    days = np.array([r[1].astimezone(tz).date() for r in rows], dtype="datetime64[D]")
    spend = np.array([r[2] for r in rows])
    expected = summarise_transactions(
        ids, days, np.datetime64(until), spend=spend, holdout_end=np.datetime64("2024-12-31"),
        unit_days=1,
    )  # fmt: skip
    np.testing.assert_array_equal(got.customer_ids, expected.customer_ids)
    np.testing.assert_array_equal(got.x, expected.x)
    np.testing.assert_array_equal(got.t_x, expected.t_x)
    np.testing.assert_array_equal(got.T, expected.T)
    np.testing.assert_array_equal(got.x_holdout, expected.x_holdout)
    np.testing.assert_allclose(got.mean_spend, expected.mean_spend)


def test_the_sqlite_offsets_follow_the_zone():
    stockholm = _transitions("Europe/Stockholm", 2024)
    assert ("2024-03-31 01:00:00", 7200) in stockholm
    assert ("2024-10-27 01:00:00", 3600) in stockholm
    assert _transitions("UTC", 2024) == (("1900-01-01 00:00:00", 0),)


def test_it_counts_only_the_given_customers(owner, rep, customer):
    (other,) = make_customers(owner, 1)
    buy(customer, dt.date(2024, 1, 1), "5")
    buy(other, dt.date(2024, 1, 1), "7")
    everyone = customer_summary(dt.date(2024, 2, 1))
    assert sorted(everyone.customer_ids.tolist()) == sorted([customer.pk, other.pk])
    mine = customer_summary(dt.date(2024, 2, 1), customers=Customer.objects.filter(owner=rep))
    assert mine.customer_ids.tolist() == [customer.pk]
    assert mine.revenue.tolist() == [5.0]


def test_customers_who_first_buy_after_the_calibration_end_are_left_out(owner):
    a, b = make_customers(owner, 2)
    buy(a, dt.date(2024, 1, 1))
    buy(a, dt.date(2024, 3, 1))
    buy(b, dt.date(2024, 3, 1))
    s = customer_summary(dt.date(2024, 2, 1), holdout_end=dt.date(2024, 4, 1))
    assert s.customer_ids.tolist() == [a.pk]
    assert s.x.tolist() == [0]
    assert s.x_holdout.tolist() == [1]
    assert s.purchases.tolist() == [1]


def test_no_purchases_is_an_empty_summary(db):
    s = customer_summary(dt.date(2024, 1, 1))
    assert len(s) == 0
    assert s.x.shape == (0,)
    assert s.first.dtype == np.dtype("datetime64[D]")


def test_zero_and_fractional_totals(owner):
    (c,) = make_customers(owner, 1)
    buy(c, dt.date(2024, 1, 1), "0.00")
    buy(c, dt.date(2024, 1, 2), "0.01")
    buy(c, dt.date(2024, 1, 3), "1234567.89")
    s = customer_summary(dt.date(2024, 1, 3), unit_days=1)
    assert s.mean_spend[0] == pytest.approx((0.01 + 1234567.89) / 2)
    assert s.revenue[0] == pytest.approx(1234567.90)
