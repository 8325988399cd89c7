"""Per-customer purchase summaries (x, t_x, T, spend) computed by the database.

One SQL statement groups the purchases twice: by (customer, local day), which merges
same-day purchases as Fader, Hardie & Lee (2005) do, and then by customer. Only one row
per customer travels to Python, as numpy arrays ready for lifelong.value.models. The
result matches lifelong.value.models.summarise_transactions on the same purchases.

The day of a purchase is its date in the business's time zone (Business.tzinfo). On
PostgreSQL that is `occurred_at AT TIME ZONE …`; SQLite has no time zone data, and
Django's TruncDate calls back into Python for every row (about 12 s per million
purchases), so there the UTC offset is a CASE expression over the zone's transitions,
evaluated in C.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import cache

import numpy as np
from django.db import connections
from django.db.models import QuerySet

from lifelong.accounts.models import Business
from lifelong.commerce.models import Purchase
from lifelong.customers.models import Customer

EPOCH = dt.date(1970, 1, 1)
# SQLite's integer division truncates toward zero; shifting the seconds by the span
# 1900-01-01 .. 1970-01-01 keeps them positive, so the division floors for any purchase
# after 1900.
_SHIFT_DAYS = (EPOCH - dt.date(1900, 1, 1)).days
# The first day's spend rides along with the first day in one MIN(): day * _PACK + cents.
# Days since 1970 stay below 10^5 for centuries and cents below 10^13 (10^11 per day),
# so the product fits a signed 64-bit integer.
_PACK = 10**13


@dataclass(frozen=True)
class CustomerSummary:
    """Per-customer purchase summary, one entry per customer with a calibration purchase.

    customer_ids: Customer primary keys, ascending. x: repeat purchase days up to `until`
    (purchase days after the first); t_x: time from the first purchase day to the last
    one up to `until`; T: time from the first purchase day to `until`; all in units of
    unit_days days. first, last: the first and the last purchase day up to `until`
    (datetime64[D], business time zone). purchases: purchases (not days) up to `until`;
    revenue: their total; mean_spend: mean spend per repeat purchase day, the first
    purchase day left out (0 when x = 0), as summarise_transactions computes it;
    x_holdout: purchase days in (until, holdout_end] (zeros without a holdout_end).
    """

    customer_ids: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    first: np.ndarray
    last: np.ndarray
    purchases: np.ndarray
    revenue: np.ndarray
    mean_spend: np.ndarray
    x_holdout: np.ndarray
    until: dt.date
    holdout_end: dt.date | None
    unit_days: float

    def __len__(self) -> int:
        return int(self.customer_ids.size)


def local_day_sql(vendor: str, column: str, tz: zoneinfo.ZoneInfo, last: dt.date) -> str:
    """SQL for the day number (days since 1970-01-01) of UTC datetime `column` in `tz`.

    The zone's name is quoted here, not passed as a parameter, so that the expression can
    appear twice in one statement with one set of parameters; it comes from the zoneinfo
    database, never from a request. `last` bounds the transitions SQLite needs.
    """
    if vendor == "postgresql":
        name = tz.key.replace("'", "''")
        return f"(({column} AT TIME ZONE '{name}')::date - DATE '1970-01-01')"
    if vendor == "sqlite":
        seconds = f"CAST(strftime('%%s', {column}) AS INTEGER)"
        offset = _offset_case(column, _transitions(tz.key, last.year + 1))
        return f"(({seconds} + {offset} + {_SHIFT_DAYS * 86400}) / 86400 - {_SHIFT_DAYS})"
    raise NotImplementedError(f"the purchase summary needs SQLite or PostgreSQL, not {vendor}")


@cache
def _transitions(key: str, last_year: int) -> tuple[tuple[str, int], ...]:
    """The zone's UTC offsets (seconds) from 1900 to the end of last_year, as
    ((UTC instant the offset starts, 'YYYY-MM-DD HH:MM:SS' as Django stores it), offset)
    pairs; the first starts at 1900-01-01."""
    tz = zoneinfo.ZoneInfo(key)

    def offset(t: dt.datetime) -> int:
        return int(t.astimezone(tz).utcoffset().total_seconds())

    t = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)
    current = offset(t)
    out = [(t.strftime("%Y-%m-%d %H:%M:%S"), current)]
    step = dt.timedelta(days=1)
    while t < end:
        nxt = t + step
        if offset(nxt) != current:
            # bisect to the second within the day
            lo, hi = t, nxt
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            current = offset(hi)
            out.append((hi.strftime("%Y-%m-%d %H:%M:%S"), current))
        t = nxt
    return tuple(out)


def _offset_case(column: str, transitions: tuple[tuple[str, int], ...]) -> str:
    """A binary search over the transitions as nested CASEs: log2(n) string comparisons
    per row on the stored UTC text (Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]', which
    sorts as time does)."""
    if len(transitions) == 1:
        return str(transitions[0][1])
    mid = len(transitions) // 2
    left = _offset_case(column, transitions[:mid])
    right = _offset_case(column, transitions[mid:])
    return f"CASE WHEN {column} < '{transitions[mid][0]}' THEN {left} ELSE {right} END"


def _start_of_day(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def customer_summary(
    until: dt.date,
    *,
    customers: QuerySet[Customer] | None = None,
    holdout_end: dt.date | None = None,
    unit_days: float = 7.0,
    using: str = "default",
) -> CustomerSummary:
    """Summarise every customer's purchases up to and including the day `until`.

    Days are in the business's time zone; purchases on the same day by the same customer
    count once (their totals added). Customers whose first purchase is after `until` are
    left out. With `customers`, only their purchases count (pass
    customers_visible_to(user) to respect access). With holdout_end, purchase days in
    (until, holdout_end] are counted as x_holdout. Amounts are added as they are: the
    summary assumes one currency.
    """
    if unit_days <= 0:
        raise ValueError("unit_days must be positive")
    if holdout_end is not None and holdout_end < until:
        raise ValueError("holdout_end must not be before until")
    tz = Business.get().tzinfo
    connection = connections[using]
    ops = connection.ops
    qn = ops.quote_name
    last_day = holdout_end or until
    table = qn(Purchase._meta.db_table)
    customer_col = qn(Purchase._meta.get_field("customer").column)
    time_col = qn(Purchase._meta.get_field("occurred_at").column)
    total_col = qn(Purchase._meta.get_field("total").column)
    day = local_day_sql(connection.vendor, f"p.{time_col}", tz, last_day)

    end = _start_of_day(last_day + dt.timedelta(days=1), tz)
    where = [f"p.{time_col} < %s"]
    params: list[object] = [ops.adapt_datetimefield_value(end)]
    if customers is not None:
        sub_sql, sub_params = customers.order_by().values("pk").query.sql_with_params()
        where.append(f"p.{customer_col} IN ({sub_sql})")
        params.extend(sub_params)
    until_day = (until - EPOCH).days

    # On SQLite a plain table scan and one sort beats walking an index on customer_id,
    # whose row lookups jump around a table that grows in time order.
    not_indexed = " NOT INDEXED" if connection.vendor == "sqlite" else ""
    # Only numbers and names quoted above are formatted into the SQL; values are parameters.
    inner = (
        f"SELECT p.{customer_col} AS c, {day} AS d, COUNT(*) AS n, SUM(p.{total_col}) AS s "  # noqa: S608
        f"FROM {table} p{not_indexed} WHERE {' AND '.join(where)} GROUP BY 1, 2"
    )
    cal = f"d <= {until_day}"
    sql = (
        "SELECT c,"  # noqa: S608
        f" SUM(CASE WHEN {cal} THEN 1 ELSE 0 END),"
        " MIN(d),"
        f" MAX(CASE WHEN {cal} THEN d END),"
        f" SUM(CASE WHEN {cal} THEN n ELSE 0 END),"
        f" CAST(SUM(CASE WHEN {cal} THEN s ELSE 0 END) AS DOUBLE PRECISION),"
        f" MIN(CAST(d AS BIGINT) * {_PACK} + CAST(ROUND(s * 100) AS BIGINT))"
        f" - CAST(MIN(d) AS BIGINT) * {_PACK},"
        f" SUM(CASE WHEN {cal} THEN 0 ELSE 1 END)"
        f" FROM ({inner}) g GROUP BY c HAVING MIN(d) <= {until_day} ORDER BY c"
    )

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _arrays(rows, until, holdout_end, unit_days)


def _arrays(
    rows: list[tuple], until: dt.date, holdout_end: dt.date | None, unit_days: float
) -> CustomerSummary:
    # Every column is a whole number below 2^53 or a float, so float64 holds them exactly.
    table = np.array(rows, dtype=float).reshape(len(rows), 8)
    ids, days, first, last, purchases, revenue, first_cents, holdout = table.T
    ids, first, last = ids.astype(np.int64), first.astype(np.int64), last.astype(np.int64)
    first_spend = first_cents / 100.0
    x = (days - 1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_spend = np.where(x > 0, (revenue - first_spend) / np.maximum(x, 1), 0.0)
    until_day = (until - EPOCH).days
    epoch = np.datetime64(EPOCH, "D")
    return CustomerSummary(
        customer_ids=ids,
        x=x,
        t_x=(last - first) / unit_days,
        T=(until_day - first) / unit_days,
        first=epoch + first,
        last=epoch + last,
        purchases=purchases.astype(np.int64),
        revenue=revenue.copy(),
        mean_spend=mean_spend,
        x_holdout=holdout.copy(),
        until=until,
        holdout_end=holdout_end,
        unit_days=float(unit_days),
    )
