"""Types for row ids, offsets and counts that clients send in bodies and query strings.

A number past 64 bits made the database driver raise (SQLite: OverflowError) and the
API answer 500 wherever it reached SQL other than as an exact lookup on a primary key
(which Django answers with "no rows"): in `pk__in`, OFFSET, or a foreign key such as
`customer_id`. RowId and Offset make it a 422 that names the field; row_id() lets an
access helper answer a path's id that large with its usual 404.
"""

from typing import Annotated, Any

from pydantic import Field

MAX_ID = 2**63 - 1  # the largest BIGINT on PostgreSQL, INTEGER on SQLite

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]

Offset = Annotated[int, Field(ge=0, le=MAX_ID)]

# A count stored in a PositiveIntegerField (an event's capacity, a rule's minimum of
# orders): PostgreSQL's integer stops at 2^31-1 ("integer out of range": a 500).
MAX_COUNT = 2**31 - 1
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]


def row_id(value: Any) -> int | None:
    """`value` as a row id, or None when it is not a whole number from 1 to MAX_ID."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None
