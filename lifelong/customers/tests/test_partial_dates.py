import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifelong.customers.partial_dates import PartialDate, PartialDateField


def test_it_reads_a_full_date():
    assert PartialDate.parse("1980-04-03") == PartialDate(month=4, day=3, year=1980)


@pytest.mark.parametrize("text", ["--04-03", "--0403", " --4-3 "])
def test_it_reads_a_date_without_year(text):
    assert PartialDate.parse(text) == PartialDate(month=4, day=3)


def test_29_february_is_allowed_without_a_year():
    assert PartialDate.parse("--02-29").isoformat() == "--02-29"


@pytest.mark.parametrize("text", ["1981-02-29", "--13-01", "yesterday", "", "04/03/1980"])
def test_it_rejects_what_is_not_a_calendar_date(text):
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_it_reads_like_a_person_would_say_it():
    assert str(PartialDate(month=4, day=3)) == "3 April"
    assert str(PartialDate(month=4, day=3, year=1980)) == "3 April 1980"


@given(st.dates(min_value=dt.date(1, 1, 1)), st.booleans())
def test_isoformat_round_trips(day, keep_year):
    pd = PartialDate(month=day.month, day=day.day, year=day.year if keep_year else None)
    assert PartialDate.parse(pd.isoformat()) == pd


def test_the_field_accepts_dates_and_text():
    field = PartialDateField()
    assert field.get_prep_value(dt.date(1990, 12, 24)) == "1990-12-24"
    assert field.get_prep_value("--12-24") == "--12-24"
    assert field.get_prep_value("") is None
