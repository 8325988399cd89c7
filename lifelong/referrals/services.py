"""Write actions and queries for referrals and referral asks.

Referral is the record of who brought whom; Customer.referred_by mirrors it. Every write
here keeps the mirror true (a queryset update, so the customer's other fields are left
alone); referrals/signals.py keeps it true the other way round, when the customer form
or the API sets referred_by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer, Status
from lifelong.customers.services import save_customer
from lifelong.referrals.models import (
    AgendaMark,
    Answer,
    MarkStatus,
    Referral,
    ReferralAsk,
    ReferralStatus,
)
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch
from lifelong.value.records import ValueSnapshot

DEFAULTS = {"ask_interval_days": 180}
# The tree stops here even on good data: a chain deeper than this is bad data or a
# business we do not know, and the page must stay small.
MAX_DEPTH = 12
MAX_NODES = 500


def config(key: str) -> int:
    """A LIFELONG_REFERRALS setting, or its default."""
    return {**DEFAULTS, **getattr(settings, "LIFELONG_REFERRALS", {})}[key]


def ask_interval() -> dt.timedelta:
    return dt.timedelta(days=int(config("ask_interval_days")))


def local_today() -> dt.date:
    return Business.get().today()


# ---------------------------------------------------------------- referrals


def referrer_of(customer_id: int) -> int | None:
    """Who referred `customer_id`, by the referral record; None if nobody."""
    rows = Referral.objects.filter(referred_id=customer_id).values_list("referrer_id", flat=True)
    return rows.first()


def referrer_chain(customer_id: int) -> list[int]:
    """The ids above `customer_id`: who referred them, who referred that one, …

    Stops at a repeat, so a cycle in bad data ends the walk instead of looping.
    """
    chain: list[int] = []
    seen = {customer_id}
    current = customer_id
    while True:
        parent = (
            Referral.objects.filter(referred_id=current)
            .values_list("referrer_id", flat=True)
            .first()
        )
        if parent is None or parent in seen:
            return chain
        chain.append(parent)
        seen.add(parent)
        current = parent


def check_referral(referrer_id: int, referred_id: int, *, moving: bool = False) -> None:
    """ValidationError when `referrer_id` may not be recorded as having referred
    `referred_id`: themselves, somebody already referred (unless `moving` the existing
    referral), or somebody up their own chain (that would make a cycle)."""
    if referrer_id == referred_id:
        raise ValidationError({"referred": ["A customer cannot refer themselves."]})
    if not moving and Referral.objects.filter(referred_id=referred_id).exists():
        raise ValidationError({"referred": ["This person's referral is already recorded."]})
    if referred_id in referrer_chain(referrer_id):
        raise ValidationError(
            {"referred": ["They are already up this referrer's chain; that would be a cycle."]}
        )


def _mirror(referred: Customer, referrer_id: int | None) -> None:
    Customer.objects.filter(pk=referred.pk).update(referred_by_id=referrer_id)
    referred.referred_by_id = referrer_id


def _convert(referral: Referral, referred: Customer, today: dt.date) -> None:
    """The person referred became a customer: date it, and make a prospect a customer."""
    referral.converted_on = referral.converted_on or today
    if referred.status == Status.PROSPECT:
        referred.status = Status.CUSTOMER
        referred.became_customer_on = referred.became_customer_on or today
        save_customer(referred)


@transaction.atomic
def record_referral(
    referrer: Customer,
    referred: Customer,
    *,
    by: User | None,
    referred_on: dt.date | None = None,
    note: str = "",
    status: str = ReferralStatus.INTRODUCED,
) -> Referral:
    """Record that `referrer` brought `referred`, and mirror it on referred.referred_by.

    ValidationError for a self-referral, a second referral of the same person, a cycle,
    or an unknown status. The caller has checked that `by` may see both customers.
    """
    if status not in ReferralStatus.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(ReferralStatus.values)}."]})
    today = local_today()
    if referred_on and referred_on > today:
        raise ValidationError({"referred_on": ["A referral cannot be in the future."]})
    # Lock the referrer so two concurrent referrals cannot close a cycle between them.
    Customer.objects.select_for_update().filter(pk=referrer.pk).first()
    check_referral(referrer.pk, referred.pk)
    referral = Referral(
        referrer=referrer,
        referred=referred,
        referred_on=referred_on or today,
        note=note.strip(),
        status=status,
        created_by=by,
    )
    if status == ReferralStatus.BECAME_CUSTOMER:
        _convert(referral, referred, today)
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError:
        # Somebody recorded this person's referral in the meantime.
        raise ValidationError(
            {"referred": ["This person's referral is already recorded."]}
        ) from None
    _mirror(referred, referrer.pk)
    return referral


@transaction.atomic
def refer_new_prospect(
    referrer: Customer,
    *,
    by: User | None,
    first_name: str,
    last_name: str = "",
    email: str = "",
    note: str = "",
    referred_on: dt.date | None = None,
) -> Referral:
    """Create a prospect (owned by the referrer's owner) and record the referral."""
    prospect = Customer(
        owner=referrer.owner,
        status=Status.PROSPECT,
        first_name=first_name,
        last_name=last_name,
        how_we_met=f"Introduced by {referrer.display_name}.",
    )
    save_customer(prospect, emails=[email] if email.strip() else [])
    return record_referral(referrer, prospect, by=by, referred_on=referred_on, note=note)


@transaction.atomic
def set_status(referral: Referral, status: str, *, by: User | None = None) -> Referral:
    """Move the referral to `status`; became_customer also makes a prospect a customer."""
    if status not in ReferralStatus.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(ReferralStatus.values)}."]})
    if status == referral.status:
        return referral
    referral.status = status
    referral.status_changed_at = timezone.now()
    if status == ReferralStatus.BECAME_CUSTOMER:
        _convert(referral, referral.referred, local_today())
    else:
        referral.converted_on = None
    referral.save()
    return referral


@transaction.atomic
def delete_referral(referral: Referral) -> None:
    """Forget the referral and clear the mirror (the person was not referred after all)."""
    referred = referral.referred
    referral.delete()
    _mirror(referred, None)


def sync_from_customers(customers: QuerySet[Customer] | None = None) -> int:
    """Bring the referrals in line with Customer.referred_by, for paths that write it
    without the signals (bulk imports, the demo, rows older than this app): a customer
    with referred_by and no referral gets one; one whose referred_by names somebody else
    has theirs moved. Returns how many referrals were created or moved."""
    return sync_models(Customer, Referral, customers)


def sync_models(customer_model, referral_model, customers=None) -> int:
    """sync_from_customers on given models, so the data migration can run it too."""
    qs = (customers if customers is not None else customer_model.objects.all()).filter(
        referred_by__isnull=False
    )
    existing = dict(
        referral_model.objects.filter(referred_id__in=qs.values("pk")).values_list(
            "referred_id", "referrer_id"
        )
    )
    new, changed = [], 0
    for pk, referrer_id, status, became, created in qs.values_list(
        "pk", "referred_by_id", "status", "became_customer_on", "created_at"
    ).iterator(chunk_size=2000):
        if pk in existing:
            if existing[pk] != referrer_id:
                referral_model.objects.filter(referred_id=pk).update(referrer_id=referrer_id)
                changed += 1
            continue
        converted = status in (Status.CUSTOMER, Status.FORMER)
        new.append(
            referral_model(
                referrer_id=referrer_id,
                referred_id=pk,
                referred_on=created.date(),
                status=ReferralStatus.BECAME_CUSTOMER if converted else ReferralStatus.INTRODUCED,
                status_changed_at=created,
                converted_on=(became or created.date()) if converted else None,
                note="From the customer record's “referred by”.",
                created_at=created,
            )
        )
    referral_model.objects.bulk_create(new, batch_size=1000)
    return len(new) + changed


# ---------------------------------------------------------------- the tree


@dataclass
class Node:
    """One person in a referral tree. `visible` False: another owner's customer, shown
    without name or value; `cycle`: already shown higher up (bad data), not expanded."""

    referral: Referral
    customer_id: int
    name: str
    visible: bool
    depth: int
    revenue: Decimal | None = None
    projected: float | None = None
    cycle: bool = False
    children: list[Node] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.referral.status

    @property
    def status_label(self) -> str:
        return self.referral.get_status_display()


@dataclass
class Tree:
    root_id: int
    children: list[Node]
    truncated: bool  # stopped at MAX_DEPTH or MAX_NODES
    size: int

    def walk(self) -> list[Node]:
        out: list[Node] = []
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


def referral_tree(
    customer: Customer,
    visible: QuerySet[Customer],
    *,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Tree:
    """Whom `customer` brought, whom those brought, and so on, one query per level.

    A visited set means a cycle in bad data (A brought B, B brought A) shows the repeat
    once, marked, and stops there; max_depth and max_nodes bound the rest. Names and
    values are given only for customers in `visible`.
    """
    seen = {customer.pk}
    by_id: dict[int, Node] = {}
    every: list[Node] = []
    top: list[Node] = []
    frontier = [customer.pk]
    depth, size, truncated = 1, 0, False
    while frontier:
        if depth > max_depth:
            truncated = True
            break
        referrals = (
            Referral.objects.filter(referrer_id__in=frontier)
            .select_related("referred")
            .order_by("referred_on", "id")
        )
        next_frontier = []
        for referral in referrals:
            if size >= max_nodes:
                truncated = True
                break
            node = Node(
                referral=referral,
                customer_id=referral.referred_id,
                name=referral.referred.display_name,
                visible=False,
                depth=depth,
                cycle=referral.referred_id in seen,
            )
            size += 1
            every.append(node)
            parent = by_id.get(referral.referrer_id)
            (parent.children if parent else top).append(node)
            if not node.cycle:
                seen.add(node.customer_id)
                by_id[node.customer_id] = node
                next_frontier.append(node.customer_id)
        if truncated:
            break
        frontier = next_frontier
        depth += 1
    _fill(every, visible)
    return Tree(root_id=customer.pk, children=top, truncated=truncated, size=size)


def _fill(nodes: list[Node], visible: QuerySet[Customer]) -> None:
    ids = {node.customer_id for node in nodes}
    shown = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    values = {
        v["customer_id"]: v
        for v in ValueSnapshot.objects.filter(customer_id__in=shown).values(
            "customer_id", "revenue", "clv_2y"
        )
    }
    for node in nodes:
        pk = node.customer_id
        node.visible = pk in shown
        if not node.visible:
            node.name = ""
            continue
        if pk in values:
            node.revenue = values[pk]["revenue"]
            node.projected = values[pk]["clv_2y"]


# ---------------------------------------------------------------- stats


@dataclass(frozen=True)
class Stats:
    made: int
    converted: int
    revenue: Decimal
    projected: float


def _stat_fields() -> dict:
    return {
        "made": Count("id"),
        "converted": Count("id", filter=Q(status=ReferralStatus.BECAME_CUSTOMER)),
        "revenue": Sum("referred__value__revenue"),
        "projected": Sum("referred__value__clv_2y"),
    }


def stats_for(referrer: Customer) -> Stats:
    """The referrer's direct referrals: how many, how many converted, and the revenue and
    projected two-year value of those they brought (from value snapshots where they exist).
    The figures count everybody they brought, also another owner's customers: they are a
    fact about the referrer, and name nobody."""
    row = Referral.objects.filter(referrer=referrer).aggregate(**_stat_fields())
    return Stats(
        made=row["made"],
        converted=row["converted"],
        revenue=row["revenue"] or Decimal(0),
        projected=row["projected"] or 0.0,
    )


def top_referrers(visible: QuerySet[Customer]) -> QuerySet:
    """Referrers among `visible`, most converted first, with their Stats fields, as dicts
    with referrer_id; page it with a slice."""
    return (
        Referral.objects.filter(referrer__in=visible)
        .values("referrer_id")
        .annotate(**_stat_fields())
        .order_by("-converted", "-made", "-revenue", "referrer_id")
    )


def recent_referrals(visible: QuerySet[Customer]) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(referrer__in=visible)
        .select_related("referrer", "referred")
        .order_by("-referred_on", "-id")
    )


# ---------------------------------------------------------------- asks


def last_ask(customer: Customer) -> ReferralAsk | None:
    return customer.referral_asks.order_by("-asked_at", "-id").first()


def ask_allowed(customer: Customer, now: dt.datetime | None = None) -> bool:
    """False when `customer` was asked for a referral within the interval before `now`."""
    now = now or timezone.now()
    return not customer.referral_asks.filter(asked_at__gt=now - ask_interval()).exists()


def next_ask_allowed_at(customer: Customer) -> dt.datetime | None:
    """When asking is allowed again; None when it is allowed now."""
    ask = last_ask(customer)
    if ask is None:
        return None
    at = ask.asked_at + ask_interval()
    return at if at > timezone.now() else None


@transaction.atomic
def record_ask(
    customer: Customer,
    *,
    by: User | None,
    channel: str = Channel.CALL,
    answer: str = Answer.NO_ANSWER,
    note: str = "",
    asked_at: dt.datetime | None = None,
) -> ReferralAsk:
    """Record that `by` asked `customer` for a referral, and log it as a touch.

    Recording is always allowed (the interval governs what the agenda proposes, not what
    happened); ValidationError for an unknown channel or answer.
    """
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = [f"Choose one of: {', '.join(Channel.values)}."]
    if answer not in Answer.values:
        errors["answer"] = [f"Choose one of: {', '.join(Answer.values)}."]
    if errors:
        raise ValidationError(errors)
    ask = ReferralAsk.objects.create(
        customer=customer,
        asked_at=asked_at or timezone.now(),
        asked_by=by,
        channel=channel,
        answer=answer,
        note=note.strip(),
    )
    summary = f"Asked for a referral: {Answer(answer).label.lower()}"
    log_touch(
        customer,
        user=by,
        channel=channel,
        summary=f"{summary} — {ask.note}"[:500] if ask.note else summary,
        occurred_at=ask.asked_at,
    )
    return ask


def answer_from_note(note: str) -> str:
    """The answer an agenda note starts with ("yes, her brother" → yes); no_answer when
    it starts with none of yes, no, later, "no answer"."""
    words = note.strip().lower().replace("_", " ")
    if words.startswith("no answer"):
        return Answer.NO_ANSWER
    first = words.split(maxsplit=1)[0].strip(".,;:!—-") if words else ""
    return {"yes": Answer.YES, "no": Answer.NO, "later": Answer.LATER}.get(first, Answer.NO_ANSWER)


# ---------------------------------------------------------------- agenda marks


def mark(
    customer: Customer,
    key: str,
    status: str,
    *,
    by: User | None,
    until: dt.date | None = None,
) -> AgendaMark:
    """Remember what was done about a referral agenda item; a new mark replaces the old."""
    marked, _ = AgendaMark.objects.update_or_create(
        customer=customer,
        key=key,
        defaults={
            "status": status,
            "snoozed_until": until if status == MarkStatus.SNOOZED else None,
            "by": by,
            "at": timezone.now(),
        },
    )
    return marked
