"""When an occasion falls: the leap-day rule, the year, and "today" in the business's zone."""

import datetime as dt

import pytest
import time_machine

from lifelong.accounts.models import Business
from lifelong.occasions.models import Kind, Occasion
from lifelong.occasions.services import local_today, next_occurrence, occurrence_on


def occasion(month: int, day: int, year: int | None = None, kind: str = Kind.BIRTHDAY):
    return Occasion(kind=kind, month=month, day=day, year=year, label="x")


def test_it_puts_a_leap_day_birthday_on_28_february_in_other_years_by_default(db):
    leap = occasion(2, 29, 1980)
    assert occurrence_on(leap, 2027) == dt.date(2027, 2, 28)
    assert occurrence_on(leap, 2028) == dt.date(2028, 2, 29)


def test_it_puts_a_leap_day_birthday_on_1_march_under_the_mar1_rule(settings, db):
    settings.LIFELONG_OCCASIONS = {"leap_day": "mar1"}
    leap = occasion(2, 29)
    assert occurrence_on(leap, 2027) == dt.date(2027, 3, 1)
    assert occurrence_on(leap, 2028) == dt.date(2028, 2, 29)


def test_a_one_off_falls_only_in_its_year(db):
    once = occasion(6, 1, 2027, Kind.ONE_OFF)
    assert occurrence_on(once, 2027) == dt.date(2027, 6, 1)
    assert occurrence_on(once, 2028) is None
    assert next_occurrence(once, dt.date(2027, 6, 2)) is None


def test_customer_since_starts_a_year_after_the_day(db):
    since = occasion(3, 5, 2020, Kind.CUSTOMER_SINCE)
    assert occurrence_on(since, 2020) is None
    assert next_occurrence(since, dt.date(2020, 1, 1)) == dt.date(2021, 3, 5)


def test_next_occurrence_wraps_to_next_year(db):
    assert next_occurrence(occasion(1, 2), dt.date(2026, 12, 30)) == dt.date(2027, 1, 2)
    assert next_occurrence(occasion(12, 30), dt.date(2026, 12, 30)) == dt.date(2026, 12, 30)
    assert next_occurrence(occasion(2, 29), dt.date(2027, 3, 1)) == dt.date(2028, 2, 29)


@pytest.fixture
def stockholm(db) -> Business:
    business = Business.get()
    business.time_zone = "Europe/Stockholm"
    business.save()
    return business


def test_today_is_the_business_date_around_midnight(stockholm):
    # 23:30 UTC on 31 December is already New Year's Day in Stockholm (UTC+1).
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        assert local_today() == dt.date(2027, 1, 1)
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.UTC), tick=False):
        assert local_today() == dt.date(2026, 12, 31)


def test_today_follows_daylight_saving(stockholm):
    # Summer time (UTC+2) began on 29 March 2026: 22:30 UTC on the 29th is 00:30 on the 30th.
    with time_machine.travel(dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC), tick=False):
        assert local_today() == dt.date(2026, 3, 30)
    # The day before, still winter time (UTC+1): 22:30 UTC is 23:30 the same day.
    with time_machine.travel(dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC), tick=False):
        assert local_today() == dt.date(2026, 3, 28)
