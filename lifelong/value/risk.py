"""The at-risk score: which customers may be slipping away, why, and what is at stake.

A *signal* is a plain function over a customers queryset that returns, for each customer
it flags, one sentence saying why ("no contact for 47 days, due every 30"). Each runs a
few set-based queries, whatever the number of customers. A customer's score combines the
weights of the signals that flag them as independent chances (noisy-or):

    score = 1 - Π (1 - weight_i)        over the signals that fired

so it stays in [0, 1], one strong signal counts for a lot and every further one adds less.
The value at stake is the projected two-year value (clv_2y; historic revenue without a
model) times the score, and at_risk() ranks by it. Thresholds and weights come from
settings.LIFELONG_RISK over DEFAULTS; docs/at-risk.md explains them in words.

Scoring everyone takes seconds at a million customers, so refresh_risk() does it once a
day (after the value refresh) and stores each flagged customer's score, reasons and
action in RiskScore; the agenda, the page and the API read those rows (stored()).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.agenda.items import of_customers
from lifelong.customers import cadence
from lifelong.customers.models import Customer
from lifelong.outreach.models import Message, MessageStatus
from lifelong.promises.models import Promise
from lifelong.promises.models import Status as PromiseStatus
from lifelong.surveys.models import Response
from lifelong.surveys.services import low_score_q
from lifelong.touches.models import Direction, Touch
from lifelong.value.records import AliveHistory, RiskScore, ValueSnapshot
from lifelong.value.services import RefreshResult, _upsert, refresh_values

DEFAULTS: dict = {
    # Days past the contact due date before "overdue" counts (0: due yesterday counts).
    "overdue_grace_days": 0,
    # The purchase gap fires when the days since the last purchase exceed gap_factor times
    # the customer's mean gap between purchase days (with at least gap_min_purchase_days
    # purchase days), or when P(alive) is below p_alive_low.
    "gap_factor": 2.0,
    "gap_min_purchase_days": 3,
    "p_alive_low": 0.30,
    # P(alive) fell by at least this much since the month before.
    "p_alive_fall": 0.10,
    "survey_days": 180,
    "promise_days": 180,
    # At least unanswered_min sent emails in the last unanswered_days and no inbound
    # touch since the first of them.
    "unanswered_days": 90,
    "unanswered_min": 2,
    "weights": {
        "overdue": 0.25,
        "gap": 0.40,
        "fall": 0.30,
        "survey": 0.40,
        "promise": 0.35,
        "unanswered": 0.20,
    },
    # The agenda lists customers with at least this score …
    "agenda_min_score": 0.40,
    # … and hides one for these many days once its item is done or dismissed.
    "done_quiet_days": 30,
    "dismiss_days": 90,
}

SIGNAL_LABELS = {
    "overdue": "Contact overdue",
    "gap": "Buying less than usual",
    "fall": "P(alive) fell",
    "survey": "Low survey score",
    "promise": "Broken promise",
    "unanswered": "Emails unanswered",
}

# The action proposed for a customer is that of their heaviest signal.
ACTIONS = {
    "overdue": "Call them: it has been too long since anyone did.",
    "gap": "Call to ask how things are going and what they need next.",
    "fall": "Call to ask how things are going and what they need next.",
    "survey": "Call to hear what went wrong, and put it right.",
    "promise": "Apologise for the broken promise and make good on it.",
    "unanswered": "Stop emailing: call or visit instead.",
}


def risk_settings() -> dict:
    """settings.LIFELONG_RISK over DEFAULTS (weights merged key by key)."""
    custom = getattr(settings, "LIFELONG_RISK", {})
    cfg = {**DEFAULTS, **custom}
    cfg["weights"] = {**DEFAULTS["weights"], **custom.get("weights", {})}
    return cfg


@dataclass(frozen=True)
class Context:
    """What every signal is given: the day, the business's zone and the thresholds."""

    today: dt.date
    tz: dt.tzinfo
    cfg: dict

    def start_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tz)


# A signal: customers → {customer id: the reason in words} for those it flags.
SignalFn = Callable[[QuerySet[Customer], Context], dict[int, str]]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _date_words(day: dt.date) -> str:
    return f"{day.day} {day:%B}"


def overdue(customers: QuerySet[Customer], ctx: Context) -> dict[int, str]:
    """The keep-in-touch contact is overdue: next_due_at fell before today (less the grace
    days). "no contact for 47 days, due every 30"."""
    cutoff = ctx.start_of(ctx.today - dt.timedelta(days=ctx.cfg["overdue_grace_days"]))
    rows = customers.filter(next_due_at__lt=cutoff).values_list(
        "pk", "last_touched_at", "created_at", "contact_every_days", "tier"
    )
    out = {}
    for pk, touched, created, every, tier in rows.iterator(chunk_size=5000):
        interval = max(1, min(every, cadence.FLOOR_DAYS)) if every else cadence.tier_interval(tier)
        if touched is None:
            days = (ctx.today - created.astimezone(ctx.tz).date()).days
            out[pk] = f"never contacted in {_plural(days, 'day')}, due every {interval}"
        else:
            days = (ctx.today - touched.astimezone(ctx.tz).date()).days
            out[pk] = f"no contact for {_plural(days, 'day')}, due every {interval}"
    return out


def purchase_gap(customers: QuerySet[Customer], ctx: Context) -> dict[int, str]:
    """The gap since the last purchase is longer than gap_factor times the customer's own mean
    gap between purchase days (from the value snapshot), or P(alive) is below p_alive_low.
    "last bought 210 days ago; usually every 60"."""
    cfg = ctx.cfg
    rows = list(
        of_customers(ValueSnapshot.objects.all(), customers).values_list(
            "customer_id", "first_purchase_on", "last_purchase_on", "purchase_days", "p_alive"
        )
    )
    if not rows:
        return {}
    ids, first, last, days, p_alive = zip(*rows, strict=True)
    first_d = np.array(first, dtype="datetime64[D]")
    last_d = np.array(last, dtype="datetime64[D]")
    n = np.array(days, dtype=float)
    alive = np.array([np.nan if p is None else p for p in p_alive], dtype=float)
    since = (np.datetime64(ctx.today, "D") - last_d).astype(np.int64)
    span = (last_d - first_d).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        usual = np.where(n >= 2, span / np.maximum(n - 1, 1), np.nan)
    enough = n >= cfg["gap_min_purchase_days"]
    long_gap = enough & (since > cfg["gap_factor"] * usual)
    low = ~np.isnan(alive) & (alive < cfg["p_alive_low"])
    out = {}
    for i in np.flatnonzero(long_gap | low):
        words = f"last bought {_plural(int(since[i]), 'day')} ago"
        if long_gap[i]:
            words += f"; usually every {round(usual[i])}"
        if low[i]:
            words += f"; P(alive) {alive[i]:.2f}"
        out[int(ids[i])] = words
    return out


def _month_before(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def alive_fall(customers: QuerySet[Customer], ctx: Context) -> dict[int, str]:
    """P(alive) fell by at least p_alive_fall from the month before to the latest month on
    record (no later than today). "P(alive) fell from 0.82 to 0.55 since October"."""
    latest = AliveHistory.objects.filter(month__lte=ctx.today).aggregate(m=Max("month"))["m"]
    if latest is None:
        return {}
    before = _month_before(latest)
    previous = AliveHistory.objects.filter(customer=OuterRef("customer"), month=before)
    rows = (
        of_customers(AliveHistory.objects.filter(month=latest), customers)
        .annotate(prev=Subquery(previous.values("p_alive")[:1]))
        .exclude(prev=None)
        .values_list("customer_id", "prev", "p_alive")
    )
    fall = ctx.cfg["p_alive_fall"]
    return {
        pk: f"P(alive) fell from {prev:.2f} to {now:.2f} since {before:%B}"
        for pk, prev, now in rows
        # Rounding: a fall of exactly p_alive_fall (0.82 → 0.72) counts.
        if prev - now >= fall - 1e-9
    }


def low_survey(customers: QuerySet[Customer], ctx: Context) -> dict[int, str]:
    """A low survey score (surveys.services.low_score_q) in the last survey_days.
    "scored 4 on the survey of 2 May" (the latest low one)."""
    since = ctx.start_of(ctx.today - dt.timedelta(days=ctx.cfg["survey_days"]))
    rows = (
        of_customers(Response.objects.filter(low_score_q()), customers)
        .filter(submitted_at__gte=since)
        .order_by("customer_id", "submitted_at")
        .values_list("customer_id", "score", "submitted_at")
    )
    out = {}
    for pk, score, when in rows:
        out[pk] = f"scored {score} on a survey on {_date_words(when.astimezone(ctx.tz).date())}"
    return out


def broken_promise(customers: QuerySet[Customer], ctx: Context) -> dict[int, str]:
    """A promise broken in the last promise_days. "broke a promise on 3 May: call back"."""
    since = ctx.start_of(ctx.today - dt.timedelta(days=ctx.cfg["promise_days"]))
    rows = (
        of_customers(Promise.objects.filter(status=PromiseStatus.BROKEN), customers)
        .filter(broken_at__gte=since)
        .order_by("customer_id", "broken_at")
        .values_list("customer_id", "broken_at", "what")
    )
    out = {}
    for pk, when, what in rows:
        day = _date_words(when.astimezone(ctx.tz).date())
        out[pk] = f"we broke a promise on {day}: {what[:80]}"
    return out


def unanswered(customers: QuerySet[Customer], ctx: Context) -> dict[int, str]:
    """At least unanswered_min emails sent in the last unanswered_days and no inbound
    touch since the first of them. "3 emails since 2 May, no reply"."""
    cfg = ctx.cfg
    since = ctx.start_of(ctx.today - dt.timedelta(days=cfg["unanswered_days"]))
    sent = {
        pk: (n, first)
        for pk, n, first in of_customers(
            Message.objects.filter(status=MessageStatus.SENT, sent_at__gte=since), customers
        )
        .values("customer_id")
        .annotate(n=Count("pk"), first=Min("sent_at"))
        .filter(n__gte=cfg["unanswered_min"])
        .values_list("customer_id", "n", "first")
    }
    if not sent:
        return {}
    earliest = min(first for _, first in sent.values())
    answered = {}
    inbound = (
        of_customers(Touch.objects.filter(direction=Direction.INBOUND), customers)
        .filter(occurred_at__gte=earliest)
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
        .values_list("customer_id", "last")
    )
    for pk, last in inbound:
        answered[pk] = last
    out = {}
    for pk, (n, first) in sent.items():
        if pk in answered and answered[pk] >= first:
            continue
        out[pk] = f"{n} emails since {_date_words(first.astimezone(ctx.tz).date())}, no reply"
    return out


@dataclass(frozen=True)
class Signal:
    key: str
    fn: SignalFn

    @property
    def label(self) -> str:
        return SIGNAL_LABELS[self.key]


SIGNALS: list[Signal] = [
    Signal("fall", alive_fall),
    Signal("gap", purchase_gap),
    Signal("survey", low_survey),
    Signal("promise", broken_promise),
    Signal("overdue", overdue),
    Signal("unanswered", unanswered),
]


def combine(weights: Iterable[float]) -> float:
    """Noisy-or: 1 - Π(1 - w), in [0, 1]."""
    return 1.0 - math.prod(1.0 - min(max(w, 0.0), 1.0) for w in weights)


@dataclass
class Risk:
    """One customer at risk: the score (0 to 1), each reason in words, the value at stake
    (two-year value, or revenue, times score) and the action proposed."""

    customer: Customer
    score: float
    reasons: list[str]
    signals: list[str]
    value: float
    value_at_stake: float
    action: str
    extra: dict = field(default_factory=dict)

    @property
    def reason_text(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class _Scored:
    customer_id: int
    score: float
    signals: list[str]
    reasons: list[str]
    value: float
    value_rank: int = 0

    @property
    def stake(self) -> float:
        return self.value * self.score


def _values(ids: list[int]) -> dict[int, tuple[float, int]]:
    """(two-year value, or revenue without a model; value rank) of each id with a snapshot."""
    out: dict[int, tuple[float, int]] = {}
    for i in range(0, len(ids), 900):  # SQLite's parameter limit
        rows = ValueSnapshot.objects.filter(customer_id__in=ids[i : i + 900]).values_list(
            "customer_id", "clv_2y", "revenue", "value_rank"
        )
        for pk, clv, revenue, rank in rows:
            out[pk] = (float(clv if clv is not None else revenue), rank)
    return out


def assess(
    customers: QuerySet[Customer],
    today: dt.date | None = None,
    *,
    signals: Iterable[str] | None = None,
    min_score: float = 0.0,
) -> list[_Scored]:
    """Every customer of `customers` flagged by at least one of `signals` (default: all)
    with a score of at least `min_score`, by value at stake (then score, then id)."""
    business = Business.get()
    ctx = Context(today or business.today(), business.tzinfo, risk_settings())
    wanted = set(signals) if signals else None
    weights = ctx.cfg["weights"]
    found: dict[int, list[tuple[str, str]]] = {}
    for signal in SIGNALS:
        if wanted is not None and signal.key not in wanted:
            continue
        for pk, words in signal.fn(customers, ctx).items():
            found.setdefault(pk, []).append((signal.key, words))
    values = _values(list(found))
    scored = []
    for pk, hits in found.items():
        hits.sort(key=lambda h: -weights[h[0]])
        s = combine(weights[k] for k, _ in hits)
        if s + 1e-12 < min_score:
            continue
        value, rank = values.get(pk, (0.0, 0))
        scored.append(
            _Scored(pk, round(s, 4), [k for k, _ in hits], [w for _, w in hits], value, rank)
        )
    scored.sort(key=lambda r: (-r.stake, -r.score, r.customer_id))
    return scored


def risks_for(scored: list[_Scored]) -> list[Risk]:
    """Risks with their customers loaded (one query), in the order given."""
    customers = Customer.objects.select_related("owner").in_bulk([r.customer_id for r in scored])
    out = []
    for r in scored:
        customer = customers.get(r.customer_id)
        if customer is None:
            continue
        out.append(
            Risk(
                customer=customer,
                score=r.score,
                reasons=r.reasons,
                signals=r.signals,
                value=r.value,
                value_at_stake=round(r.stake, 2),
                action=ACTIONS[r.signals[0]],
            )
        )
    return out


def at_risk(
    customers: QuerySet[Customer],
    today: dt.date | None = None,
    *,
    limit: int = 50,
    signals: Iterable[str] | None = None,
    min_score: float = 0.0,
) -> list[Risk]:
    """The `limit` customers of `customers` most at risk by value at stake (pass
    customers_visible_to(user)), each with its score, reasons and a proposed action.
    `signals` narrows to customers flagged by one of those signal keys (SIGNAL_LABELS)."""
    return risks_for(assess(customers, today, signals=signals, min_score=min_score)[:limit])


def risk_of(customer: Customer, today: dt.date | None = None) -> Risk | None:
    """The one customer's risk, or None when no signal flags them."""
    found = at_risk(Customer.objects.filter(pk=customer.pk), today, limit=1)
    return found[0] if found else None


@dataclass(frozen=True)
class RefreshRiskResult:
    customers: int
    seconds: float


def refresh_risk(today: dt.date | None = None) -> RefreshRiskResult:
    """Score every customer as of `today` (default: the business's today) and store the
    result: one RiskScore per customer some signal flags, upserted in bulk; the rows of
    customers no longer flagged are deleted. Each signal runs its few set-based queries
    once over all customers; the scores are combined in Python over ids."""
    started = time.perf_counter()
    scored = assess(Customer.objects.all(), today)
    cfg = risk_settings()
    now = timezone.now()
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)

    def rows():
        for r in scored:
            agenda = (
                round(r.value_rank + 0.999 * r.score, 4)
                if r.score + 1e-12 >= cfg["agenda_min_score"]
                else None
            )
            yield (
                r.customer_id, r.score, r.value, round(r.stake, 2), r.value_rank, agenda,
                ops.adapt_json_value(r.signals, None), ops.adapt_json_value(r.reasons, None),
                ACTIONS[r.signals[0]], at,
            )  # fmt: skip

    fields = [
        "customer", "score", "value", "value_at_stake", "value_rank", "agenda_rank",
        "signals", "reasons", "action", "computed_at",
    ]  # fmt: skip
    with transaction.atomic():
        _upsert(RiskScore, fields, rows(), ["customer"])
        RiskScore.objects.exclude(computed_at=now).delete()
    seconds = time.perf_counter() - started
    return RefreshRiskResult(customers=len(scored), seconds=seconds)


def stored(
    customers: QuerySet[Customer], *, signals: Iterable[str] | None = None
) -> QuerySet[RiskScore]:
    """The stored scores (RiskScore) of `customers`, by value at stake (then score, id),
    with customer and owner loaded; `signals` narrows to rows flagged by one of them."""
    rows = of_customers(RiskScore.objects.all(), customers)
    if signals:
        q = Q()
        for key in signals:
            q |= Q(signals__icontains=f'"{key}"')
        rows = rows.filter(q)
    return rows.select_related("customer", "customer__owner").order_by(
        "-value_at_stake", "-score", "customer_id"
    )


def risk_from_row(row: RiskScore) -> Risk:
    """A stored row as a Risk (its customer loaded with select_related)."""
    return Risk(
        customer=row.customer,
        score=row.score,
        reasons=list(row.reasons),
        signals=list(row.signals),
        value=row.value,
        value_at_stake=row.value_at_stake,
        action=row.action,
    )


def refresh_values_and_risk(
    now: dt.datetime | None = None, *, progress: Callable[[str], None] | None = None
) -> tuple[RefreshResult, RefreshRiskResult]:
    """The whole refresh: values, then the risk scores as of the same day. The nightly job,
    the Value page's button, the API, `lifelong value refresh` and the demo all run this,
    so none of them can leave the at-risk list a day behind the values."""
    values = refresh_values(now, progress=progress)
    return values, refresh_risk(values.fit.until)
