"""What an agenda item is, and the words and scores every source builds it with.

A source (an app's `agenda_sources.py`, found by the agenda at start-up) returns Items;
a handler does an Action to one of them. This module depends on nothing but customers
and accounts, so any app can build items without importing the agenda's machinery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from lifelong.accounts.models import Business, User
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.models import Customer


@dataclass(frozen=True)
class Item:
    kind: str  # "contact", "occasion", …
    key: str  # identifies this occurrence for the done / snooze / dismiss actions
    customer_id: int
    customer_name: str
    tier: str
    value_rank: int
    due_date: dt.date
    title: str  # "Due for a contact", "Birthday on Friday"
    reason: str  # the whole sentence: why it is on the agenda today
    score: float
    context: str = ""  # what else helps: "last touch 41 days ago"
    owner: str = ""
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        data["due_date"] = self.due_date.isoformat()
        return data


@dataclass(frozen=True)
class Day:
    """What `Source` functions are given: the day, its bounds and the business's zone.

    Sources pass `tz` down to whatever turns moments into dates (item_for, days_ago), so
    an agenda call reads the Business row once, however many items it builds."""

    today: dt.date
    start: dt.datetime
    end: dt.datetime  # the start of the next day
    tz: dt.tzinfo

    @classmethod
    def of(cls, today: dt.date, business: Business | None = None) -> Day:
        business = business or Business.get()
        return cls(
            today=today,
            start=business.start_of(today),
            end=business.start_of(today + dt.timedelta(days=1)),
            tz=business.tzinfo,
        )


def rank_key(item: Item) -> tuple:
    """The agenda's order: highest score first, then the earliest due, then by name."""
    return (-item.score, item.due_date, item.customer_name.lower(), item.key)


# A source returns at most `limit` items for `customers` on `day`, ordered by rank_key:
# everything that needs attention that day or, with `exact`, only what falls due on it
# (the weekly plan puts each item on its own day).
Source = Callable[[QuerySet[Customer], Day, int, bool], list[Item]]
# An action handler does "done", "snooze" or "dismiss" to the item whose key follows
# "kind:", for `user`, and says what it did in a sentence. It raises Http404 for an item
# the user may not see and ValueError for a key that does not parse.
Handler = Callable[["Action"], str]
ACTIONS = ("done", "snooze", "dismiss")


@dataclass(frozen=True)
class Action:
    user: User
    kind: str
    ref: str  # the key after "kind:"
    action: str  # one of ACTIONS
    today: dt.date
    days: int = 1  # for snooze
    channel: str = "call"  # for done: how the contact was made
    note: str = ""


def lateness(days_late: int) -> float:
    """Days late (negative: days ahead) mapped into (0, 1), increasing."""
    return 0.5 + 0.5 * days_late / (abs(days_late) + 14)


def score(value_rank: int, due: dt.date, today: dt.date) -> float:
    return round(value_rank + lateness((today - due).days), 4)


def of_customers(qs: QuerySet, customers: QuerySet[Customer], field: str = "customer") -> QuerySet:
    """`qs` (a feature's own rows) narrowed to the rows whose `field` is one of `customers`.

    A correlated EXISTS, probed once per row of `qs`: `field__in=customers` would have
    SQLite list every id `customers` holds (a million for the whole business) before it
    reads a row of a table that is small or empty."""
    return qs.filter(Exists(customers.filter(pk=OuterRef(field))))


def days_ago(moment: dt.datetime | None, today: dt.date, tz: dt.tzinfo | None = None) -> int | None:
    """Whole days from `moment` (as a date in `tz`, default the business's zone) to `today`."""
    if moment is None:
        return None
    return (today - moment.astimezone(tz or Business.get().tzinfo).date()).days


def last_touch_words(customer: Customer, today: dt.date, tz: dt.tzinfo | None = None) -> str:
    days = days_ago(customer.last_touched_at, today, tz)
    if days is None:
        return "never contacted"
    if days == 0:
        return "last touch today"
    if days == 1:
        return "last touch yesterday"
    return f"last touch {days} days ago"


def who(customer: Customer) -> str:
    tier = f" (tier {customer.tier})" if customer.tier else ""
    return f"{customer.display_name}{tier}"


def day_words(day: dt.date, today: dt.date) -> str:
    """ "today", "tomorrow", "on Friday" (within a week), "on 3 December"."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if 1 < delta < 7:
        return f"on {day:%A}"
    return f"on {day.day} {day:%B}"


def customer_ref(user: User, ref: str) -> Customer:
    """The customer an item key names ("contact:42" → 42), through the access helper."""
    if not ref.isdigit():
        raise ValueError(f"{ref!r} is not a customer.")
    return get_customer_for_user(user, int(ref))


def item_for(
    customer: Customer,
    *,
    kind: str,
    key: str,
    due: dt.date,
    title: str,
    today: dt.date,
    tz: dt.tzinfo | None = None,
    reason_title: str | None = None,
    extra: dict | None = None,
) -> Item:
    """An item about `customer`, with the reason sentence, context and score filled in:
    "<title> — <name> (tier A) — last touch 41 days ago". Sources pass `tz` (Day.tz): without
    it each item reads the Business row."""
    since = last_touch_words(customer, today, tz)
    return Item(
        kind=kind,
        key=key,
        customer_id=customer.pk,
        customer_name=customer.display_name,
        tier=customer.tier,
        value_rank=customer.value_rank,
        due_date=due,
        title=title,
        reason=f"{reason_title or title} — {who(customer)} — {since}",
        score=score(customer.value_rank, due, today),
        context=since,
        owner=customer.owner.display_name,
        extra=extra or {},
    )
