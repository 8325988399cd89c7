"""The agenda: whom to contact today and why, ranked by the value at stake.

The agenda owns no data. Each feature contributes a *source*: a function that, given
the customers a user may see and a day, returns that day's items, best first. Sources
live in the apps, each in an `agenda_sources.py` module that the agenda finds at start-up
(AgendaConfig.ready), exposing SOURCES = [(kind, source, handler), …]: contacts due
(touches), occasions (occasions), and whatever later features add. Items and their
scores are built with lifelong/agenda/items.py.

Ranking. Every item has a due date (when a contact fell due, the occasion's day, …) and
belongs to a customer whose value decile (Customer.value_rank: 10 = the most valuable
tenth by projected two-year value, 0 = no value yet) says what is at stake:

    score = value_rank + lateness(today - due date)

where lateness maps days late (negative for days ahead) into (0, 1), rising with every
day late. So the most valuable customers come first and, among equals, the longest
overdue; the order is the index order (value_rank desc, next_due_at asc) of the due list,
which is what keeps the first page fast at a million customers.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable

from django.db.models import QuerySet

from lifelong.accounts.models import Business, User
from lifelong.agenda.items import ACTIONS, Action, Day, Handler, Item, Source, rank_key
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.touches.models import Channel

_sources: dict[str, Source] = {}
_handlers: dict[str, Handler] = {}


def register(kind: str, source: Source, handler: Handler) -> None:
    """Add (or replace) the items of `kind` on everybody's agenda, and what its buttons do."""
    _sources[kind] = source
    _handlers[kind] = handler


def kinds() -> list[str]:
    return list(_sources)


def act(
    user: User,
    key: str,
    action: str,
    *,
    days: int = 1,
    channel: str = "call",
    note: str = "",
    today: dt.date | None = None,
) -> str:
    """Mark the agenda item `key` done (which logs a touch), snoozed for `days` days, or
    dismissed for this occurrence. Returns a sentence for the user; raises ValueError for
    a bad key or action and Http404 for an item `user` may not see."""
    kind, _, ref = key.partition(":")
    if kind not in _handlers or not ref:
        raise ValueError(f"{key!r} is not an agenda item.")
    if action not in ACTIONS:
        raise ValueError(f"Choose one of: {', '.join(ACTIONS)}.")
    if action == "snooze" and not 1 <= days <= 30:
        raise ValueError("Snooze for 1 to 30 days.")
    if channel not in Channel.values:
        raise ValueError(f"Choose a channel: {', '.join(Channel.values)}.")
    today = today or Business.get().today()
    return _handlers[kind](
        Action(user, kind, ref, action, today, days=days, channel=channel, note=note.strip())
    )


def customers_for(user: User | None, *, everyone: bool = False) -> QuerySet[Customer]:
    """Whose items an agenda holds: the customers `user` owns, or with `everyone` all the
    ones they may see (a rep: still their own); `user` None is the whole business."""
    if user is None:
        customers = Customer.objects.not_erased()
    elif everyone:
        customers = customers_visible_to(user)
    else:
        customers = customers_visible_to(user).filter(owner=user)
    return customers.filter(archived_at__isnull=True)


def agenda(
    user: User | None,
    today: dt.date | None = None,
    *,
    limit: int = 50,
    kinds: Iterable[str] = (),
    everyone: bool = False,
) -> list[Item]:
    """The first `limit` items of `user`'s agenda on `today` (default: the business's
    today), best first. Whose customers: see customers_for(). `kinds` narrows the sources."""
    business = Business.get()  # once: Day carries its time zone to every item
    today = today or business.today()
    customers = customers_for(user, everyone=everyone)
    day = Day.of(today, business)
    wanted = set(kinds)
    streams = [
        source(customers, day, limit, False)
        for kind, source in _sources.items()
        if not wanted or kind in wanted
    ]
    return list(heapq.merge(*streams, key=rank_key))[:limit]


def week(
    user: User | None,
    today: dt.date | None = None,
    *,
    per_day: int = 10,
    everyone: bool = False,
) -> list[tuple[dt.date, list[Item], bool]]:
    """The next seven days: per day the first `per_day` items falling due on it (today
    also holds everything overdue) and whether there are more."""
    business = Business.get()
    today = today or business.today()
    customers = customers_for(user, everyone=everyone)
    plan = []
    for offset in range(7):
        day = Day.of(today + dt.timedelta(days=offset), business)
        streams = [source(customers, day, per_day + 1, offset > 0) for source in _sources.values()]
        items = list(heapq.merge(*streams, key=rank_key))
        plan.append((day.today, items[:per_day], len(items) > per_day))
    return plan
