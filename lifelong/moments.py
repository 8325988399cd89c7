"""The type for moments clients send: aware, and in UTC before they reach the database.

pydantic's AwareDatetime takes any offset up to ±23:59 and any year from 1 to 9999, as
ISO 8601 allows. PostgreSQL refuses an offset past ±15:59 ("time zone displacement out
of range"), and the SQLite backend converts to UTC, where 0001-01-01T00:00+01:00 falls
before year 1: either was a 500. In UTC the first is an ordinary moment; the second is
a 422 that names the field.
"""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def _in_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("The moment is out of range once converted to UTC.") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
