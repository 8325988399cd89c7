"""Occasions: when they fall, what needs attention, and keeping the derived ones in sync.

Derived occasions mirror another record: the profile answers `birthday` and
`wedding_anniversary`, each relative's birthday, and the customer-since date (the
customer's `became_customer_on`, else the local date of their first purchase). Signals
(occasions/signals.py) keep them in step one record at a time; `sync_occasions` rebuilds
them in bulk after work that bypasses signals (demo data, CSV imports).

Settings, all optional: `LIFELONG_OCCASIONS = {"leap_day": "feb28" | "mar1",
"lead_days": {kind: days}}`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateField,
    Exists,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from lifelong.accounts.models import Business, User
from lifelong.bulk import insert_rows
from lifelong.customers.models import Customer, ProfileAnswer, Relative
from lifelong.customers.partial_dates import PartialDate
from lifelong.occasions.models import USER_KINDS, Kind, MarkStatus, Occasion, OccasionMark

LEAP_DAY_RULES = ("feb28", "mar1")
DEFAULT_LEAP_DAY = "feb28"
# Days before the occasion the reminder starts: a week for a card or a gift, the day
# itself for a customer-since anniversary and for a one-off call.
DEFAULT_LEAD_DAYS: dict[str, int] = {
    Kind.BIRTHDAY: 7,
    Kind.RELATIVE_BIRTHDAY: 7,
    Kind.WEDDING_ANNIVERSARY: 7,
    Kind.CUSTOMER_SINCE: 0,
    Kind.CUSTOM: 7,
    Kind.ONE_OFF: 0,
}
# The profile questions whose answers become occasions.
ANSWER_KINDS: dict[str, str] = {
    "birthday": Kind.BIRTHDAY,
    "wedding_anniversary": Kind.WEDDING_ANNIVERSARY,
}
RECURRING_KINDS = tuple(k for k in Kind.values if k != Kind.ONE_OFF)
# Customer.value_rank's values, best first: deciles of projected value, 0 for none yet.
RANKS = range(10, -1, -1)


# ---------------------------------------------------------------- settings and time


def _settings() -> dict:
    return getattr(settings, "LIFELONG_OCCASIONS", None) or {}


def leap_day_rule() -> str:
    """ "feb28" (29 February falls on 28 February in other years, the default) or "mar1"."""
    rule = _settings().get("leap_day", DEFAULT_LEAP_DAY)
    if rule not in LEAP_DAY_RULES:
        raise ValueError(f"LIFELONG_OCCASIONS['leap_day'] must be one of {LEAP_DAY_RULES}")
    return rule


def lead_days(kind: str) -> int:
    """How many days before an occasion of `kind` its reminder starts."""
    return int(_settings().get("lead_days", {}).get(kind, DEFAULT_LEAD_DAYS[kind]))


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the business's time zone (`now` defaults to the clock)."""
    return (now or timezone.now()).astimezone(Business.get().tzinfo).date()


# ---------------------------------------------------------------- when an occasion falls


def _on(month: int, day: int, year: int, rule: str) -> dt.date:
    if month == 2 and day == 29 and not calendar.isleap(year):
        return dt.date(year, 3, 1) if rule == "mar1" else dt.date(year, 2, 28)
    return dt.date(year, month, day)


def _occurs_in(kind: str, since: int | None, year: int) -> bool:
    if kind == Kind.ONE_OFF:
        return since == year
    if since is None:
        return True
    # The customer-since date itself is no anniversary; the first one is a year later.
    return year > since if kind == Kind.CUSTOMER_SINCE else year >= since


def occurrence_on(occasion: Occasion, year: int, *, rule: str | None = None) -> dt.date | None:
    """The date `occasion` falls on in `year`, leap-day rule applied; None if it does not
    fall that year (a one-off outside its year, or a year before the occasion began)."""
    if not _occurs_in(occasion.kind, occasion.year, year):
        return None
    return _on(occasion.month, occasion.day, year, rule or leap_day_rule())


def next_occurrence(occasion: Occasion, today: dt.date) -> dt.date | None:
    """The first occurrence on or after `today`; None only for a one-off that is past."""
    rule = leap_day_rule()
    start = max(today.year, occasion.year or today.year)
    for year in (start, start + 1, start + 2):
        on = occurrence_on(occasion, year, rule=rule)
        if on is not None and on >= today:
            return on
    return None


def years_at(occasion: Occasion, on: dt.date) -> int | None:
    """The age turned or the anniversary's number on `on`, when the year is known."""
    if occasion.year is None or occasion.kind == Kind.ONE_OFF:
        return None
    return on.year - occasion.year


def title_of(occasion: Occasion, on: dt.date | None = None) -> str:
    """Plain words for the occasion: "Birthday", "Emma's birthday (child)", the label…"""
    kind = occasion.kind
    if kind == Kind.BIRTHDAY:
        return "Birthday"
    if kind == Kind.WEDDING_ANNIVERSARY:
        return "Wedding anniversary"
    if kind == Kind.RELATIVE_BIRTHDAY:
        relative = occasion.relative
        if relative is None:
            return "A relative's birthday"
        return f"{relative.name}'s birthday ({relative.get_relationship_display().lower()})"
    if kind == Kind.CUSTOMER_SINCE:
        years = years_at(occasion, on) if on else None
        if years:
            return f"Customer for {years} year{'s' if years != 1 else ''}"
        return "Customer anniversary"
    return occasion.label


# ---------------------------------------------------------------- what needs attention


@dataclass(frozen=True)
class Upcoming:
    occasion: Occasion  # with .customer and .relative loaded
    on: dt.date  # the occurrence date, leap rule applied
    remind_from: dt.date  # on - lead days
    kind: str
    title: str
    years: int | None  # age turned / anniversary number when the year is known

    @property
    def key(self) -> str:
        """The stable id of this occurrence."""
        return f"occasion:{self.occasion.pk}:{self.on.isoformat()}"


def upcoming_of(occasion: Occasion, on: dt.date) -> Upcoming:
    return Upcoming(
        occasion=occasion,
        on=on,
        remind_from=on - dt.timedelta(days=lead_days(occasion.kind)),
        kind=occasion.kind,
        title=title_of(occasion, on),
        years=years_at(occasion, on),
    )


def max_days() -> int:
    """The widest `days` upcoming() takes: its window of dates must stay under a year."""
    return 364 - max(lead_days(k) for k in Kind.values)


def _window(today: dt.date, days: int, prefix: str = "") -> tuple[Q, list[When]]:
    """The filter and the CASE that turn (month, day) into the occurrence date, for every
    occurrence whose reminder runs on some day of today…today+days.

    The window of occurrence dates is today…today+days+the longest lead; as it is shorter
    than a year, every (month, day) pair in it stands for exactly one date.
    """
    rule = leap_day_rule()
    end = today + dt.timedelta(days=days)
    leads = {k: lead_days(k) for k in Kind.values}
    last = end + dt.timedelta(days=max(leads.values()))
    where = Q()
    whens: list[When] = []
    on = today
    while on <= last:
        # Kinds whose reminder has started by the window's last day.
        kinds = [k for k, lead in leads.items() if on - dt.timedelta(days=lead) <= end]
        pairs = [(on.month, on.day)]
        if not calendar.isleap(on.year) and (on.month, on.day) == (
            (3, 1) if rule == "mar1" else (2, 28)
        ):
            pairs.append((2, 29))
        year_q = Q()
        recurring = [k for k in kinds if k in RECURRING_KINDS and k != Kind.CUSTOMER_SINCE]
        if recurring:
            year_q |= Q(**{f"{prefix}kind__in": recurring}) & (
                Q(**{f"{prefix}year__isnull": True}) | Q(**{f"{prefix}year__lte": on.year})
            )
        if Kind.CUSTOMER_SINCE in kinds:
            year_q |= Q(**{f"{prefix}kind": Kind.CUSTOMER_SINCE}) & (
                Q(**{f"{prefix}year__isnull": True}) | Q(**{f"{prefix}year__lt": on.year})
            )
        if Kind.ONE_OFF in kinds:
            year_q |= Q(**{f"{prefix}kind": Kind.ONE_OFF, f"{prefix}year": on.year})
        for month, day in pairs:
            match = Q(**{f"{prefix}month": month, f"{prefix}day": day})
            where |= match & year_q
            whens.append(When(match, then=Value(on)))
        on += dt.timedelta(days=1)
    return where, whens


def upcoming(
    customers: QuerySet[Customer], today: dt.date, *, days: int = 0, limit: int | None = None
) -> list[Upcoming]:
    """Occurrences of `customers`' occasions that need attention on any day from
    today to today+days: remind_from <= that day <= on. Excludes occurrences marked
    done or dismissed, and snoozed ones until their snooze ends (compare with today).
    Ordered by customer.value_rank descending (as copied onto the occasion: see
    mirror_value_rank), then on, then occasion id; `limit` in SQL.
    Archived customers are left out. `days` is at most max_days() (ValueError).
    """
    if not 0 <= days <= max_days():
        raise ValueError(f"days must be between 0 and {max_days()}")
    where, whens = _window(today, days)
    # Start from the occasions of the window and ask of each whether its customer is one
    # of `customers` (starting from the customers walked the whole top decile of a large
    # business before the limit could stop it). value_rank is the customer's, copied onto
    # the occasion: with a limit, the window is read one rank at a time, best first, each
    # rank a few seeks into occasion_rank_day, until the page is full.
    theirs = customers.filter(archived_at__isnull=True, pk=OuterRef("customer_id"))
    rows = (
        Occasion.objects.filter(where)
        .filter(Exists(theirs))
        .annotate(on=Case(*whens, output_field=DateField()))
    )
    hiding = Q(status__in=[MarkStatus.DONE, MarkStatus.DISMISSED]) | Q(
        status=MarkStatus.SNOOZED, snoozed_until__gt=today
    )
    last = today + dt.timedelta(days=days + max(lead_days(k) for k in Kind.values))
    # Marks are few; only ask the per-row question when one could hide something.
    if OccasionMark.objects.filter(hiding, on__gte=today, on__lte=last).exists():
        hidden = OccasionMark.objects.filter(hiding, occasion=OuterRef("pk"), on=OuterRef("on"))
        rows = rows.filter(~Exists(hidden))
    rows = rows.order_by("-value_rank", "on", "id").values_list("id", "on")
    if limit is None:
        found = list(rows)
    else:
        found = []
        for rank in RANKS:
            if len(found) >= limit:
                break
            found += rows.filter(value_rank=rank)[: limit - len(found)]
    occasions = Occasion.objects.select_related("customer", "customer__owner", "relative").in_bulk(
        [pk for pk, _ in found]
    )
    return [upcoming_of(occasions[pk], on) for pk, on in found if pk in occasions]


def mark(
    occasion: Occasion,
    on: dt.date,
    status: str,
    *,
    by: User | None,
    until: dt.date | None = None,
) -> OccasionMark:
    """Remember what was done about the occurrence of `occasion` on `on`: done, dismissed,
    or snoozed `until` a later date (it shows again from that day). A new mark replaces
    the old one. ValidationError if `on` is not an occurrence or the snooze has no date.
    """
    if status not in MarkStatus.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(MarkStatus.values)}."]})
    if occurrence_on(occasion, on.year) != on:
        raise ValidationError({"on": [f"The occasion does not fall on {on:%d %b %Y}."]})
    if status == MarkStatus.SNOOZED:
        if until is None:
            raise ValidationError({"until": ["Say until when to snooze it."]})
    else:
        until = None
    marked, _ = OccasionMark.objects.update_or_create(
        occasion=occasion,
        on=on,
        defaults={"status": status, "snoozed_until": until, "by": by, "at": timezone.now()},
    )
    return marked


def unmark(occasion: Occasion, on: dt.date) -> None:
    """Forget what was done about one occurrence (an undo): it needs attention again."""
    OccasionMark.objects.filter(occasion=occasion, on=on).delete()


# ---------------------------------------------------------------- occasions people add


class OccasionIsDerived(Exception):
    """A derived occasion is edited at its source, not deleted here."""


def where_to_edit(occasion: Occasion) -> str:
    """Where the source of a derived occasion is edited, in plain words."""
    return {
        Kind.BIRTHDAY: "the profile sheet (Birthday)",
        Kind.WEDDING_ANNIVERSARY: "the profile sheet (Wedding anniversary)",
        Kind.RELATIVE_BIRTHDAY: "the family member's entry",
        Kind.CUSTOMER_SINCE: "the customer's details (Customer since)",
    }.get(occasion.kind, "")


def add_occasion(customer: Customer, *, kind: str, label: str, date: PartialDate | str) -> Occasion:
    """Add a custom yearly date (year optional) or a one-off date (year required) to
    `customer`. ValidationError, by field (kind, label, date), when it does not fit."""
    errors: dict[str, list[str]] = {}
    if kind not in USER_KINDS:
        errors["kind"] = ["Choose a yearly date or a one-off date."]
    label = (label or "").strip()
    if not label:
        errors["label"] = ["Say what the date is, such as “Home-insurance renewal”."]
    elif len(label) > 200:
        errors["label"] = ["Keep the label under 200 characters."]
    when: PartialDate | None = None
    if isinstance(date, PartialDate):
        when = date
    elif not (date or "").strip():
        errors["date"] = ["Give the date."]
    else:
        try:
            when = PartialDate.parse(date)
        except ValueError as e:
            errors["date"] = [str(e)]
    if when is not None and kind == Kind.ONE_OFF and when.year is None:
        errors["date"] = ["A one-off date needs its year: YYYY-MM-DD."]
    if errors:
        raise ValidationError(errors)
    assert when is not None
    return Occasion.objects.create(
        customer=customer,
        kind=kind,
        label=label,
        month=when.month,
        day=when.day,
        year=when.year,
        derived=False,
    )


def delete_occasion(occasion: Occasion) -> None:
    """Delete an occasion a person added; OccasionIsDerived for a derived one."""
    if occasion.derived:
        raise OccasionIsDerived(
            f"This date comes from {where_to_edit(occasion)}; change or remove it there."
        )
    occasion.delete()


# ---------------------------------------------------------------- derived occasions


def answer_date(value: str) -> PartialDate | None:
    """The date in a profile answer's canonical text, or None if it holds none."""
    try:
        return PartialDate.parse(value)
    except ValueError:
        return None


def answer_occasion(key: str, value: str) -> tuple[str, int, int, int | None] | None:
    """(kind, month, day, year) of the derived occasion that the answer `value` to the
    question `key` makes, or None when it makes none. What sync_answer and
    sync_occasions keep; the customer import uses it to write a new customer's
    occasions with the customer, instead of reading them back afterwards."""
    kind = ANSWER_KINDS.get(key)
    when = answer_date(value) if kind else None
    if when is None:
        return None
    return kind, when.month, when.day, when.year


# Columns of a derived occasion as a bulk insert writes it (lifelong.bulk.insert_rows):
# (customer_id, kind, month, day, year, label "", derived True, created_at, value_rank).
OCCASION_COLUMNS = [
    "customer_id", "kind", "month", "day", "year", "label", "derived", "created_at",
    "value_rank",
]  # fmt: skip


def _put(customer_id: int, kind: str, relative_id: int | None, when: PartialDate | None) -> None:
    """Make the derived occasion (customer, kind, relative) say `when`, or go if None.

    update_or_create keeps the row (and so its marks) when only the date changes.
    """
    key = {"customer_id": customer_id, "kind": kind, "relative_id": relative_id, "derived": True}
    if when is None:
        Occasion.objects.filter(**key).delete()
        return
    Occasion.objects.update_or_create(
        **key, defaults={"month": when.month, "day": when.day, "year": when.year}
    )


def sync_answer(answer: ProfileAnswer, *, deleted: bool = False) -> None:
    """Bring the occasion of a `birthday` or `wedding_anniversary` answer in line."""
    kind = ANSWER_KINDS.get(answer.question.key)
    if kind is None:
        return
    _put(answer.customer_id, kind, None, None if deleted else answer_date(answer.value))


def sync_relative(relative: Relative) -> None:
    """Bring the occasion of a relative's birthday in line (it goes with the relative)."""
    # The attribute holds whatever was assigned (text too) until the row is read back.
    try:
        birthday = Relative._meta.get_field("birthday").to_python(relative.birthday)
    except ValidationError:
        birthday = None
    _put(relative.customer_id, Kind.RELATIVE_BIRTHDAY, relative.pk, birthday)


def _local_date(when: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return when.astimezone(tz).date()


def customer_since(customer_id: int) -> dt.date | None:
    """The day `customer_id` became a customer: became_customer_on, else the day (in the
    business's time zone) of their first purchase; None when neither is known."""
    from lifelong.commerce.models import Purchase  # commerce sits beside us, not below

    became = Customer.objects.filter(pk=customer_id).values_list("became_customer_on", flat=True)
    became_on = next(iter(became), None)
    if became_on is not None:
        return became_on
    first = Purchase.objects.filter(customer_id=customer_id).aggregate(m=Min("occurred_at"))["m"]
    return _local_date(first, Business.get().tzinfo) if first else None


def sync_customer_since(customer_id: int) -> None:
    """Bring the customer-since occasion of `customer_id` in line."""
    since = customer_since(customer_id)
    when = PartialDate(since.month, since.day, since.year) if since else None
    _put(customer_id, Kind.CUSTOMER_SINCE, None, when)


# ---------------------------------------------------------------- in bulk


def mirror_value_rank(occasions: QuerySet[Occasion] | None = None) -> int:
    """Copy each customer's value_rank onto their occasions (all, or `occasions`), where it
    differs; returns how many changed. For writes that bypass Occasion.save and the
    Customer signal: bulk inserts, the value refresh's UPDATE of every customer."""
    rank = Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values("value_rank")[:1])
    occasions = Occasion.objects.all() if occasions is None else occasions
    return occasions.exclude(value_rank=rank).update(value_rank=rank)


_Key = tuple[int, str, int | None]  # (customer_id, kind, relative_id)
_When = tuple[int, int, int | None]  # (month, day, year)


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_chunk(qs: QuerySet, field: str, chunk: list[int]) -> QuerySet:
    """`qs` limited to the customers of `chunk`: one range when their ids are dense
    enough (a range reads the few customers between them cheaper than a long IN list is
    built), else an IN list. Callers drop rows outside `chunk`."""
    lo, hi = min(chunk), max(chunk)
    if hi - lo < 10 * len(chunk):
        return qs.filter(**{f"{field}__gte": lo, f"{field}__lte": hi})
    return qs.filter(**{f"{field}__in": chunk})


def _wanted(chunk: list[int], tz: dt.tzinfo) -> dict[_Key, _When]:
    from lifelong.commerce.models import Purchase

    members = set(chunk)
    wanted: dict[_Key, _When] = {}
    answers = _in_chunk(ProfileAnswer.objects, "customer_id", chunk).filter(
        question__key__in=list(ANSWER_KINDS)
    )
    for customer_id, key, value in answers.values_list("customer_id", "question__key", "value"):
        occasion = answer_occasion(key, value)
        if customer_id in members and occasion is not None:
            wanted[(customer_id, occasion[0], None)] = occasion[1:]
    relatives = _in_chunk(Relative.objects, "customer_id", chunk).filter(birthday__isnull=False)
    for pk, customer_id, birthday in relatives.values_list("pk", "customer_id", "birthday"):
        if customer_id in members and birthday is not None:
            wanted[(customer_id, Kind.RELATIVE_BIRTHDAY, pk)] = (
                birthday.month,
                birthday.day,
                birthday.year,
            )
    without: list[int] = []
    customers = _in_chunk(Customer.objects, "pk", chunk)
    for pk, became in customers.values_list("pk", "became_customer_on"):
        if pk not in members:
            continue
        if became is None:
            without.append(pk)
        else:
            wanted[(pk, Kind.CUSTOMER_SINCE, None)] = (became.month, became.day, became.year)
    if without:
        firsts = (
            _in_chunk(Purchase.objects, "customer_id", without)
            .values("customer_id")
            .annotate(first=Min("occurred_at"))
            .values_list("customer_id", "first")
            .order_by()
        )
        wanting = set(without)
        for customer_id, first in firsts:
            if customer_id in wanting:
                day = _local_date(first, tz)
                wanted[(customer_id, Kind.CUSTOMER_SINCE, None)] = (day.month, day.day, day.year)
    return wanted


def sync_occasions(
    customers: QuerySet[Customer] | None = None,
    *,
    ids: Iterable[int] | None = None,
    progress=None,
) -> int:
    """Rebuild the derived occasions of `customers` (all customers if None), or of the
    customers `ids` (ascending), from their sources, for work that bypassed the signals.
    Occasions that did not change are left alone and changed ones updated in place, so
    marks survive. Returns how many occasions were created, changed or deleted.
    `progress(n)` is told of each n customers done.

    Works a chunk of customers at a time with a handful of set-based queries each.
    """
    if ids is None:
        chosen = (customers if customers is not None else Customer.objects.all()).order_by("pk")
        ids = chosen.values_list("pk", flat=True).iterator(chunk_size=5000)
    tz = Business.get().tzinfo
    now_db = connection.ops.adapt_datetimefield_value(timezone.now())
    touched = 0
    for chunk in _chunks(ids, 5000):
        members = set(chunk)
        wanted = _wanted(chunk, tz)
        have: dict[_Key, tuple[int, _When]] = {}
        existing = _in_chunk(Occasion.objects, "customer_id", chunk).filter(derived=True)
        for pk, customer_id, kind, relative_id, month, day, year in existing.values_list(
            "pk", "customer_id", "kind", "relative_id", "month", "day", "year"
        ):
            if customer_id in members:
                have[(customer_id, kind, relative_id)] = (pk, (month, day, year))
        new, changed, gone = [], [], []
        for key, when in wanted.items():
            if key not in have:
                # Plain tuples, in OCCASION_COLUMNS order and the relative last: a
                # chunk's new occasions need no model instances.
                new.append((key[0], key[1], *when, "", True, now_db, 0, key[2]))
            elif have[key][1] != when:
                changed.append(Occasion(pk=have[key][0], month=when[0], day=when[1], year=when[2]))
        gone = [pk for key, (pk, _) in have.items() if key not in wanted]
        with transaction.atomic():
            insert_rows(Occasion, [*OCCASION_COLUMNS, "relative_id"], new)
            Occasion.objects.bulk_update(changed, ["month", "day", "year"], batch_size=500)
            for part in _chunks(gone, 900):
                Occasion.objects.filter(pk__in=part).delete()
            mirror_value_rank(_in_chunk(Occasion.objects, "customer_id", chunk))
        touched += len(new) + len(changed) + len(gone)
        if progress:
            progress(len(chunk))
    return touched
