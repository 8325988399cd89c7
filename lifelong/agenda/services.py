"""The agenda: whom to contact today and why, ranked by the value at stake.

The agenda owns no data. Each feature contributes a *source*: a function that, given
the customers a user may see and a day, returns that day's items, best first. Sources
are registered by their apps (AppConfig.ready) so that the agenda depends on none of
them; the cadence (contacts due) and occasions are built in.

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
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.db.models import QuerySet

from lifelong.accounts.models import Business, User
from lifelong.customers import cadence
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.models import Customer
from lifelong.occasions import services as occasions
from lifelong.occasions.access import get_occasion_for_user
from lifelong.occasions.models import MarkStatus
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch


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
    """What `Source` functions are given: the day and its bounds in the business's zone."""

    today: dt.date
    start: dt.datetime
    end: dt.datetime  # the start of the next day

    @classmethod
    def of(cls, today: dt.date) -> Day:
        business = Business.get()
        return cls(
            today=today,
            start=business.start_of(today),
            end=business.start_of(today + dt.timedelta(days=1)),
        )


# A source returns at most `limit` items for `customers` on `day`, ordered by rank_key:
# everything that needs attention that day or, with `exact`, only what falls due on it
# (the weekly plan puts each item on its own day).
Source = Callable[[QuerySet[Customer], Day, int, bool], list[Item]]
# An action handler does "done", "snooze" or "dismiss" to the item whose key follows
# "kind:", for `user`, and says what it did in a sentence. It raises Http404 for an item
# the user may not see and ValueError for a key that does not parse.
Handler = Callable[["Action"], str]
_sources: dict[str, Source] = {}
_handlers: dict[str, Handler] = {}


def register(kind: str, source: Source, handler: Handler) -> None:
    """Add (or replace) the items of `kind` on everybody's agenda, and what its buttons do."""
    _sources[kind] = source
    _handlers[kind] = handler


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


def lateness(days_late: int) -> float:
    """Days late (negative: days ahead) mapped into (0, 1), increasing."""
    return 0.5 + 0.5 * days_late / (abs(days_late) + 14)


def score(value_rank: int, due: dt.date, today: dt.date) -> float:
    return round(value_rank + lateness((today - due).days), 4)


def rank_key(item: Item) -> tuple:
    return (-item.score, item.due_date, item.customer_name.lower(), item.key)


def customers_for(user: User | None, *, everyone: bool = False) -> QuerySet[Customer]:
    """Whose items an agenda holds: the customers `user` owns, or with `everyone` all the
    ones they may see (a rep: still their own); `user` None is the whole business."""
    if user is None:
        customers = Customer.objects.all()
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
    today = today or Business.get().today()
    customers = customers_for(user, everyone=everyone)
    day = Day.of(today)
    wanted = set(kinds)
    streams = [
        source(customers, day, limit, False)
        for kind, source in _sources.items()
        if not wanted or kind in wanted
    ]
    return list(heapq.merge(*streams, key=rank_key))[:limit]


def days_ago(moment: dt.datetime | None, today: dt.date) -> int | None:
    if moment is None:
        return None
    return (today - moment.astimezone(Business.get().tzinfo).date()).days


def last_touch_words(customer: Customer, today: dt.date) -> str:
    days = days_ago(customer.last_touched_at, today)
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


# ------------------------------------------------------------------ contacts due


def due_contacts(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Customers whose next contact falls due before the end of `day` (`exact`: on that
    day only), best first."""
    due = customers.filter(next_due_at__lt=day.end)
    if exact:
        due = due.filter(next_due_at__gte=day.start)
    rows = due.select_related("owner").order_by("-value_rank", "next_due_at", "id")[:limit]
    tz = Business.get().tzinfo
    items = []
    for c in rows:
        due = c.next_due_at.astimezone(tz).date()
        late = (day.today - due).days
        if late <= 0:
            title = "Due for a contact today"
        elif late == 1:
            title = "Contact overdue by a day"
        else:
            title = f"Contact overdue by {late} days"
        items.append(
            Item(
                kind="contact",
                key=f"contact:{c.pk}",
                customer_id=c.pk,
                customer_name=c.display_name,
                tier=c.tier,
                value_rank=c.value_rank,
                due_date=due,
                title=title,
                reason=f"{title} — {who(c)} — {last_touch_words(c, day.today)}",
                score=score(c.value_rank, due, day.today),
                context=last_touch_words(c, day.today),
                owner=c.owner.display_name,
            )
        )
    return items


def _customer_ref(user: User, ref: str) -> Customer:
    if not ref.isdigit():
        raise ValueError(f"{ref!r} is not a customer.")
    return get_customer_for_user(user, int(ref))


def contact_action(a: Action) -> str:
    customer = _customer_ref(a.user, a.ref)
    name = customer.display_name
    if a.action == "done":
        log_touch(
            customer, user=a.user, channel=a.channel, summary=a.note or "Kept in touch (from Today)"
        )
        return (
            f"Logged the {Channel(a.channel).label.lower()} with {name}; next contact in "
            f"{cadence.interval_days(customer)} days."
        )
    if a.action == "snooze":
        cadence.snooze(customer, Business.get().start_of(a.today + dt.timedelta(days=a.days)))
        return f"{name} is snoozed for {a.days} day{'s' if a.days != 1 else ''}."
    cadence.skip_cycle(customer)
    return (
        f"Skipped this contact with {name}; they are due again in "
        f"{cadence.interval_days(customer)} days."
    )


register("contact", due_contacts, contact_action)


def week(
    user: User | None,
    today: dt.date | None = None,
    *,
    per_day: int = 10,
    everyone: bool = False,
) -> list[tuple[dt.date, list[Item], bool]]:
    """The next seven days: per day the first `per_day` items falling due on it (today
    also holds everything overdue) and whether there are more."""
    today = today or Business.get().today()
    customers = customers_for(user, everyone=everyone)
    plan = []
    for offset in range(7):
        day = Day.of(today + dt.timedelta(days=offset))
        streams = [source(customers, day, per_day + 1, offset > 0) for source in _sources.values()]
        items = list(heapq.merge(*streams, key=rank_key))
        plan.append((day.today, items[:per_day], len(items) > per_day))
    return plan


# ------------------------------------------------------------------ occasions


def occasion_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Occasions today and within their reminder lead time (`exact`: on that day only)."""
    if exact:
        found = [u for u in occasions.upcoming(customers, day.today) if u.on == day.today]
        found = found[:limit]
    else:
        found = occasions.upcoming(customers, day.today, limit=limit)
    items = []
    for u in found:
        c = u.occasion.customer
        plain = f"{u.title} {day_words(u.on, day.today)}"
        title = plain = plain[0].upper() + plain[1:]
        if u.years and u.kind == "birthday":
            title += f" (turns {u.years})"
        elif u.years and u.kind in ("wedding_anniversary", "customer_since"):
            title += f" ({u.years} years)"
        since = last_touch_words(c, day.today)
        items.append(
            Item(
                kind="occasion",
                key=u.key,
                customer_id=c.pk,
                customer_name=c.display_name,
                tier=c.tier,
                value_rank=c.value_rank,
                due_date=u.on,
                title=title,
                reason=f"{plain} — {who(c)} — {since}",
                score=score(c.value_rank, u.on, day.today),
                context=since,
                owner=c.owner.display_name,
                extra={"occasion_kind": u.kind, "years": u.years},
            )
        )
    return items


def occasion_action(a: Action) -> str:
    pk, _, on_text = a.ref.partition(":")
    try:
        on = dt.date.fromisoformat(on_text)
    except ValueError:
        raise ValueError(f"{a.ref!r} is not an occasion's date.") from None
    occasion = get_occasion_for_user(a.user, pk)
    customer = occasion.customer
    title = occasions.title_of(occasion, on)
    if a.action == "done":
        log_touch(customer, user=a.user, channel=a.channel, summary=a.note or f"{title}: greeted")
        occasions.mark(occasion, on, MarkStatus.DONE, by=a.user)
        return f"{title} of {customer.display_name}: done, and logged as a touch."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        occasions.mark(occasion, on, MarkStatus.SNOOZED, by=a.user, until=until)
        return f"{title} of {customer.display_name}: snoozed until {until:%A %-d %B}."
    occasions.mark(occasion, on, MarkStatus.DISMISSED, by=a.user)
    return f"{title} of {customer.display_name}: dismissed for this year."


register("occasion", occasion_items, occasion_action)
