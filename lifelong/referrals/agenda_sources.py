"""The agenda's referral items: asks at good moments, and thank-yous to referrers.

referral_ask — a customer had a good moment in the last 14 days: a promoter score (a
surveys Response scoring 9 or 10), a kept promise (a promises Promise kept or kept late)
or a repeat purchase (a second or later Purchase). Never when they were asked within
the ask interval (LIFELONG_REFERRALS["ask_interval_days"], 180 by default). Done
records the ask (answer: the note's first word when it is yes, no or later, else
no_answer) and logs a touch; snooze hides the item until a day; dismiss hides the
moments up to now (a later good moment raises it again).

referral_thanks — a referral arrived, or the person referred became a customer, in the
last 30 days: thank the referrer. Done logs a touch "Thanked for introducing X".

Surveys and promises are read only when those apps have their models, so this runs
with or without them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from lifelong.agenda.items import Action, Day, Item, customer_ref, item_for, of_customers, rank_key
from lifelong.commerce.models import Purchase
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.referrals import services
from lifelong.referrals.access import get_referral_for_user
from lifelong.referrals.models import AgendaMark, MarkStatus, Referral, ReferralAsk
from lifelong.touches.services import log_touch

MOMENT_DAYS = 14
THANKS_DAYS = 30
KEPT = ("kept", "kept_late")


@functools.cache
def optional_model(label: str, name: str) -> type[Model] | None:
    """surveys.Response, promises.Promise…: None until that app has the model and the
    migration that makes its table (an app part-way built has a model and no table)."""
    if not apps.is_installed(f"lifelong.{label}"):
        return None
    try:
        model = apps.get_model(label, name)
    except LookupError:
        return None
    migrations = Path(apps.get_app_config(label).path) / "migrations"
    return model if any(migrations.glob("0001_*.py")) else None


@dataclass(frozen=True)
class Moment:
    customer_id: int
    at: dt.datetime
    title: str
    kind: str  # promoter, kept_promise, repeat_purchase
    rank: int  # lower is better when one customer has several


def good_moments(customers: QuerySet[Customer], since: dt.datetime, until: dt.datetime) -> dict:
    """The best good moment of each customer in [since, until): {customer_id: Moment}."""
    found: list[Moment] = []
    response = optional_model("surveys", "Response")
    if response is not None:
        # 9 or 10 on an NPS survey; a satisfaction survey's 1-5 scale has no promoters.
        rows = (
            of_customers(response.objects.all(), customers)
            .filter(
                score__gte=9,
                invitation__survey__kind="nps",
                submitted_at__gte=since,
                submitted_at__lt=until,
            )
            .values_list("customer_id", "submitted_at", "score")
        )
        found += [Moment(c, at, f"Promoter (scored {s})", "promoter", 0) for c, at, s in rows]
    promise = optional_model("promises", "Promise")
    if promise is not None:
        rows = (
            of_customers(promise.objects.all(), customers)
            .filter(status__in=KEPT, kept_at__gte=since, kept_at__lt=until)
            .values_list("customer_id", "kept_at", "status")
        )
        found += [
            Moment(c, at, "Kept a promise" + (" (late)" if s == "kept_late" else ""), "kept", 1)
            for c, at, s in rows
        ]
    earlier = Purchase.objects.filter(
        customer=OuterRef("customer"), occurred_at__lt=OuterRef("occurred_at")
    )
    rows = (
        of_customers(Purchase.objects.all(), customers)
        .filter(occurred_at__gte=since, occurred_at__lt=until)
        .filter(Exists(earlier))
        .values_list("customer_id", "occurred_at")
    )
    found += [Moment(c, at, "Repeat purchase", "repeat_purchase", 2) for c, at in rows]
    best: dict[int, Moment] = {}
    for m in found:
        held = best.get(m.customer_id)
        if held is None or (m.rank, -m.at.timestamp()) < (held.rank, -held.at.timestamp()):
            best[m.customer_id] = m
    return best


def ask_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Customers with a good moment in the last 14 days (`exact`: on that day) and not
    asked within the interval, best first."""
    since = day.start if exact else day.start - dt.timedelta(days=MOMENT_DAYS)
    moments = good_moments(customers, since, day.end)
    if not moments:
        return []
    asked = ReferralAsk.objects.filter(
        customer=OuterRef("pk"), asked_at__gte=day.start - services.ask_interval()
    )
    rows = customers.filter(pk__in=list(moments)).exclude(Exists(asked)).select_related("owner")
    marks = {
        m.customer_id: m
        for m in AgendaMark.objects.filter(customer_id__in=list(moments), key="ask")
    }
    tz = day.start.tzinfo
    items = []
    for c in rows:
        moment = moments[c.pk]
        held = marks.get(c.pk)
        if held and held.status == MarkStatus.SNOOZED and day.today < held.snoozed_until:
            continue
        if held and held.status == MarkStatus.DISMISSED and moment.at <= held.at:
            continue
        items.append(
            item_for(
                c,
                kind="referral_ask",
                key=f"referral_ask:{c.pk}",
                due=moment.at.astimezone(tz).date(),
                title=f"Ask for a referral: {moment.title.lower()}",
                reason_title=f"{moment.title} — a good moment to ask for a referral",
                today=day.today,
                tz=day.tz,
                extra={"moment": moment.kind},
            )
        )
    items.sort(key=rank_key)
    return items[:limit]


def ask_action(a: Action) -> str:
    customer = customer_ref(a.user, a.ref)
    name = customer.display_name
    if a.action == "done":
        answer = services.answer_from_note(a.note)
        services.record_ask(customer, by=a.user, channel=a.channel, answer=answer, note=a.note)
        return f"Recorded the referral ask to {name} ({answer.replace('_', ' ')})."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        services.mark(customer, "ask", MarkStatus.SNOOZED, by=a.user, until=until)
        return f"Asking {name} for a referral: snoozed until {until:%A %-d %B}."
    services.mark(customer, "ask", MarkStatus.DISMISSED, by=a.user)
    return f"Not asking {name} for a referral this time."


def _hidden(mark: AgendaMark | None, today: dt.date) -> bool:
    if mark is None:
        return False
    if mark.status == MarkStatus.SNOOZED:
        return today < mark.snoozed_until
    return True


def thanks_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """A thank-you to the referrer for each referral that arrived or converted in the last
    30 days (`exact`: on that day), unless done, dismissed or snoozed."""
    first = day.today if exact else day.today - dt.timedelta(days=THANKS_DAYS)
    referrals = list(
        of_customers(Referral.objects.all(), customers, field="referrer")
        .filter(
            Q(referred_on__gte=first, referred_on__lte=day.today)
            | Q(converted_on__gte=first, converted_on__lte=day.today)
        )
        .select_related("referrer__owner", "referred")
    )
    if not referrals:
        return []
    shown = set(
        customers.filter(pk__in=[r.referred_id for r in referrals]).values_list("pk", flat=True)
    )
    marks = {
        (m.customer_id, m.key): m
        for m in AgendaMark.objects.filter(
            customer_id__in={r.referrer_id for r in referrals}, key__startswith="thanks:"
        )
    }
    items = []
    for r in referrals:
        name = r.referred.display_name if r.referred_id in shown else "somebody new"
        events = []
        converted = r.converted_on and first <= r.converted_on <= day.today
        # A person who arrived as a customer gets one thank-you, for the conversion.
        if first <= r.referred_on <= day.today and not (
            r.converted_on and r.converted_on <= r.referred_on
        ):
            events.append(("arrived", r.referred_on, f"Thank them for introducing {name}"))
        if converted:
            title = f"{name} became a customer: thank them"
            events.append(("converted", r.converted_on, title[0].upper() + title[1:]))
        for event, on, title in events:
            key = f"thanks:{r.pk}:{event}"
            if _hidden(marks.get((r.referrer_id, key)), day.today):
                continue
            items.append(
                item_for(
                    r.referrer,
                    kind="referral_thanks",
                    key=f"referral_thanks:{r.pk}:{event}",
                    due=on,
                    title=title,
                    today=day.today,
                    tz=day.tz,
                    extra={"referral_id": r.pk, "event": event},
                )
            )
    items.sort(key=rank_key)
    return items[:limit]


def thanks_action(a: Action) -> str:
    pk, _, event = a.ref.partition(":")
    if event not in ("arrived", "converted"):
        raise ValueError(f"{a.ref!r} is not a referral thank-you.")
    referral = get_referral_for_user(a.user, pk)
    referrer = referral.referrer
    visible = customers_visible_to(a.user).filter(pk=referral.referred_id).exists()
    name = referral.referred.display_name if visible else "somebody new"
    key = f"thanks:{referral.pk}:{event}"
    if a.action == "done":
        summary = a.note or f"Thanked for introducing {name}"
        log_touch(referrer, user=a.user, channel=a.channel, summary=summary)
        services.mark(referrer, key, MarkStatus.DONE, by=a.user)
        return f"Thanked {referrer.display_name}, and logged it as a touch."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        services.mark(referrer, key, MarkStatus.SNOOZED, by=a.user, until=until)
        return f"Thanking {referrer.display_name}: snoozed until {until:%A %-d %B}."
    services.mark(referrer, key, MarkStatus.DISMISSED, by=a.user)
    return f"Thanking {referrer.display_name}: dismissed."


SOURCES = [
    ("referral_ask", ask_items, ask_action),
    ("referral_thanks", thanks_items, thanks_action),
]
