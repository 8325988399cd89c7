"""API for referrals: a customer's tree, recording referrals and asks, status, top referrers.

Everything is reached through the customers a user may see; a referral through its
referrer. Customers the user may not see appear in a tree without name or value.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.ids import Offset
from lifelong.moments import UtcDatetime
from lifelong.referrals import services
from lifelong.referrals.access import get_referral_for_user, referral_that_brought
from lifelong.referrals.models import Answer, Referral, ReferralAsk, ReferralStatus
from lifelong.touches.models import Channel

router = Router(tags=["referrals"])


class ReferralOut(Schema):
    id: int
    referrer_id: int
    referred_id: int
    referred_name: str | None = Field(description="Null for a customer you may not see.")
    referred_on: dt.date
    status: str = Field(description=f"One of: {', '.join(ReferralStatus.values)}.")
    converted_on: dt.date | None
    note: str


class NodeOut(Schema):
    referral_id: int
    customer_id: int
    parent_id: int = Field(description="The customer who brought this one.")
    depth: int = Field(description="1 for those the customer brought, 2 for theirs, …")
    name: str | None = Field(description="Null for a customer you may not see.")
    status: str
    revenue: float | None = Field(description="From the value snapshot, where there is one.")
    projected_2y: float | None
    cycle: bool = Field(description="Shown higher up already (the records loop); not expanded.")


class StatsOut(Schema):
    made: int
    converted: int
    revenue: float
    projected_2y: float


class TreeOut(Schema):
    customer_id: int
    referred_by: ReferralOut | None = Field(description="How this customer came to us.")
    referrer_visible: bool
    stats: StatsOut
    nodes: list[NodeOut] = Field(description="Depth first; rebuild the tree with parent_id.")
    truncated: bool = Field(description="The tree was cut at its depth or size limit.")


class ReferralIn(Schema):
    referred_id: int | None = Field(None, description="An existing customer you can see…")
    first_name: str = Field("", description="…or a new prospect, created for the referrer's owner.")
    last_name: str = ""
    email: str = ""
    referred_on: dt.date | None = Field(None, description="Today when left out.")
    note: str = ""


class StatusIn(Schema):
    status: ReferralStatus


class AskIn(Schema):
    channel: Channel = Channel.CALL
    answer: Answer = Answer.NO_ANSWER
    note: str = ""
    asked_at: UtcDatetime | None = None


class AskOut(Schema):
    id: int
    customer_id: int
    asked_at: dt.datetime
    asked_by: int | None
    channel: str
    answer: str
    note: str


class AsksOut(Schema):
    asks: list[AskOut]
    ask_allowed: bool = Field(description="False when asked within the ask interval.")
    next_ask_allowed_at: dt.datetime | None


class TopOut(Schema):
    referrer_id: int
    referrer_name: str
    made: int
    converted: int
    revenue: float
    projected_2y: float


class TopQuery(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: Offset = 0


def _referral_out(referral: Referral, visible: bool) -> dict:
    return {
        "id": referral.pk,
        "referrer_id": referral.referrer_id,
        "referred_id": referral.referred_id,
        "referred_name": referral.referred.display_name if visible else None,
        "referred_on": referral.referred_on,
        "status": referral.status,
        "converted_on": referral.converted_on,
        "note": referral.note,
    }


def _ask_out(ask: ReferralAsk) -> dict:
    return {
        "id": ask.pk,
        "customer_id": ask.customer_id,
        "asked_at": ask.asked_at,
        "asked_by": ask.asked_by_id,
        "channel": ask.channel,
        "answer": ask.answer,
        "note": ask.note,
    }


@router.get("/customers/{int:customer_id}/referrals", response={200: TreeOut, **CLIENT_ERRORS})
def referral_tree(request: HttpRequest, customer_id: int) -> dict:
    """Who referred the customer, their referral stats, and the tree of whom they brought
    (and whom those brought), safe against loops in the records."""
    customer = get_customer_for_user(request.user, customer_id)
    visible = customers_visible_to(request.user)
    tree = services.referral_tree(customer, visible)
    own = referral_that_brought(customer)
    stats = services.stats_for(customer)
    return {
        "customer_id": customer.pk,
        "referred_by": _referral_out(own, True) if own else None,
        "referrer_visible": bool(own and visible.filter(pk=own.referrer_id).exists()),
        "stats": {
            "made": stats.made,
            "converted": stats.converted,
            "revenue": float(stats.revenue),
            "projected_2y": stats.projected,
        },
        "nodes": [
            {
                "referral_id": n.referral.pk,
                "customer_id": n.customer_id,
                "parent_id": n.referral.referrer_id,
                "depth": n.depth,
                "name": n.name if n.visible else None,
                "status": n.status,
                "revenue": float(n.revenue) if n.revenue is not None else None,
                "projected_2y": n.projected,
                "cycle": n.cycle,
            }
            for n in tree.walk()
        ],
        "truncated": tree.truncated,
    }


@router.post("/customers/{int:customer_id}/referrals", response={201: ReferralOut, **CLIENT_ERRORS})
def referral_create(request: HttpRequest, customer_id: int, payload: ReferralIn) -> Status:
    """Record that the customer referred an existing customer (referred_id) or a new
    prospect (first_name, last_name, email). 422 for themselves, somebody already
    referred, or a referral that would make a cycle."""
    referrer = get_customer_for_user(request.user, customer_id)
    if payload.referred_id is not None:
        try:
            referred = get_customer_for_user(request.user, payload.referred_id)
        except Http404:
            raise ValidationError(
                {"referred_id": [f"There is no customer with id {payload.referred_id}."]}
            ) from None
        referral = services.record_referral(
            referrer, referred, by=request.user, referred_on=payload.referred_on, note=payload.note
        )
    else:
        referral = services.refer_new_prospect(
            referrer,
            by=request.user,
            first_name=payload.first_name,
            last_name=payload.last_name,
            email=payload.email,
            note=payload.note,
            referred_on=payload.referred_on,
        )
    return Status(201, _referral_out(referral, True))


@router.patch("/referrals/{int:referral_id}", response={200: ReferralOut, **CLIENT_ERRORS})
def referral_status(request: HttpRequest, referral_id: int, payload: StatusIn) -> dict:
    """Set the status of the person referred; became_customer makes a prospect a customer."""
    referral = get_referral_for_user(request.user, referral_id)
    services.set_status(referral, payload.status, by=request.user)
    visible = customers_visible_to(request.user).filter(pk=referral.referred_id).exists()
    return _referral_out(referral, visible)


@router.get("/customers/{int:customer_id}/referral-asks", response={200: AsksOut, **CLIENT_ERRORS})
def ask_list(request: HttpRequest, customer_id: int) -> dict:
    """Every time the customer was asked for a referral, newest first, and whether asking
    again is allowed now."""
    customer = get_customer_for_user(request.user, customer_id)
    asks = customer.referral_asks.order_by("-asked_at", "-id")
    return {
        "asks": [_ask_out(a) for a in asks],
        "ask_allowed": services.ask_allowed(customer),
        "next_ask_allowed_at": services.next_ask_allowed_at(customer),
    }


@router.post("/customers/{int:customer_id}/referral-asks", response={201: AskOut, **CLIENT_ERRORS})
def ask_create(request: HttpRequest, customer_id: int, payload: AskIn) -> Status:
    """Record an ask (also logged as a touch). Always recorded: the interval governs what
    the agenda proposes, not what happened."""
    customer = get_customer_for_user(request.user, customer_id)
    ask = services.record_ask(
        customer,
        by=request.user,
        channel=payload.channel,
        answer=payload.answer,
        note=payload.note,
        asked_at=payload.asked_at,
    )
    return Status(201, _ask_out(ask))


@router.get("/referrals/top", response={200: list[TopOut], **CLIENT_ERRORS})
def top_referrers(request: HttpRequest, query: Query[TopQuery]) -> list[dict]:
    """Referrers among the customers you may see, most converted referrals first."""
    visible = customers_visible_to(request.user)
    rows = list(services.top_referrers(visible)[query.offset : query.offset + query.limit])
    names = visible.in_bulk([r["referrer_id"] for r in rows])
    return [
        {
            "referrer_id": r["referrer_id"],
            "referrer_name": names[r["referrer_id"]].display_name,
            "made": r["made"],
            "converted": r["converted"],
            "revenue": float(r["revenue"] or 0),
            "projected_2y": r["projected"] or 0.0,
        }
        for r in rows
    ]
