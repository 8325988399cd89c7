"""The iCalendar (RFC 5545) feed of a user's occasions, for Google, Apple or Outlook calendars.

One all-day VEVENT per occasion, repeating yearly (a one-off does not repeat), with an
alarm at the occasion's lead time. A 29 February date repeats on the last day of February
(the "feb28" rule) or on the 60th day of the year ("mar1"), so the calendar agrees with
the reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from lifelong.accounts.models import Business, User
from lifelong.customers.access import customers_visible_to
from lifelong.occasions import services
from lifelong.occasions.models import CalendarFeed, Kind, Occasion

# A calendar application gives up long before a feed of millions of events; the most
# valuable customers' occasions come first, so a cut falls on the least valuable.
FEED_LIMIT = 20_000
# Years-unknown dates start in a leap year, so 29 February is a valid first occurrence.
UNKNOWN_YEAR_START = 2000


def feed_for(user: User) -> CalendarFeed:
    """The user's calendar feed, made on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


def reset_feed(user: User) -> CalendarFeed:
    """Give the user a new secret address; the old one stops working at once."""
    feed = feed_for(user)
    feed.token = CalendarFeed._meta.get_field("token").get_default()
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


def feed_occasions(user: User) -> QuerySet[Occasion]:
    """The occasions in `user`'s feed: those of the unarchived customers they may see."""
    return (
        Occasion.objects.filter(
            customer__in=customers_visible_to(user), customer__archived_at__isnull=True
        )
        .select_related("customer", "relative")
        .order_by("-customer__value_rank", "customer_id", "id")
    )


def _rrule(occasion: Occasion, rule: str) -> dict | None:
    if occasion.kind == Kind.ONE_OFF:
        return None
    if (occasion.month, occasion.day) == (2, 29):
        if rule == "mar1":
            return {"FREQ": "YEARLY", "BYYEARDAY": 60}
        return {"FREQ": "YEARLY", "BYMONTH": 2, "BYMONTHDAY": -1}
    return {"FREQ": "YEARLY"}


def _first(occasion: Occasion, rule: str) -> dt.date:
    """The first occurrence: in its year (the year after, for customer-since)."""
    if occasion.year is None:
        return services.occurrence_on(occasion, UNKNOWN_YEAR_START, rule=rule) or dt.date(
            UNKNOWN_YEAR_START, occasion.month, occasion.day
        )
    year = occasion.year + (1 if occasion.kind == Kind.CUSTOMER_SINCE else 0)
    on = services.occurrence_on(occasion, year, rule=rule)
    assert on is not None
    return on


def _summary(occasion: Occasion) -> str:
    name = occasion.customer.display_name
    if occasion.kind == Kind.CUSTOMER_SINCE:
        since = f" since {occasion.year}" if occasion.year else ""
        return f"{name}: customer{since}"
    title = services.title_of(occasion)
    if occasion.kind in (Kind.BIRTHDAY, Kind.WEDDING_ANNIVERSARY):
        title = title.lower()  # "Anna Berg: birthday"; names and labels keep their case
    return f"{name}: {title}"


def calendar_for(user: User, customer_url: Callable[[int], str], *, host: str) -> bytes:
    """The feed of `user` as iCalendar bytes; `customer_url(pk)` links each event."""
    rule = services.leap_day_rule()
    business = Business.get()
    cal = Calendar()
    cal.add("prodid", "-//Lifelong//Occasions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Occasions · {business.name}")
    cal.add("x-wr-timezone", business.time_zone)
    # How often a calendar should fetch the feed again (RFC 7986, and Outlook's own name).
    cal.add("refresh-interval", dt.timedelta(hours=12), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT12H")
    stamp = timezone.now().astimezone(dt.UTC)
    for occasion in feed_occasions(user)[:FEED_LIMIT].iterator(chunk_size=2000):
        first = _first(occasion, rule)
        event = Event()
        event.add("uid", f"occasion-{occasion.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", first)  # a date: VALUE=DATE, an all-day event
        event.add("dtend", first + dt.timedelta(days=1))
        event.add("summary", _summary(occasion))
        url = customer_url(occasion.customer_id)
        event.add("description", f"{services.title_of(occasion)}. {url}")
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        event.add("categories", [occasion.get_kind_display()])
        recur = _rrule(occasion, rule)
        if recur:
            event.add("rrule", recur)
        lead = services.lead_days(occasion.kind)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _summary(occasion))
        # Lead days before the (midnight) start; on the day itself, at nine in the morning.
        alarm.add("trigger", dt.timedelta(days=-lead) if lead else dt.timedelta(hours=9))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
