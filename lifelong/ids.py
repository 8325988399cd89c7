"""Types for row ids and offsets that clients send in request bodies and query strings.

A path's `{int:...}` id needs nothing: an exact lookup with a number too large for the
column simply finds nothing. A list of ids goes into `pk__in`, where a number past 64
bits made the database driver raise (SQLite: OverflowError) and the API answer 500; with
this type it is a 422 that names the field.
"""

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1  # the largest BIGINT on PostgreSQL, INTEGER on SQLite

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]

# A page's offset goes into SQL's OFFSET, where the same number past 64 bits overflowed.
Offset = Annotated[int, Field(ge=0, le=MAX_ID)]
