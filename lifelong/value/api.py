"""The value part of the REST API: summary, tiers, one customer's value, refresh.

Figures are aggregated over the customers the token's user may see; a customer's value
is reached through the access helper (404 for somebody else's customer).
"""

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.ids import Offset, RowId
from lifelong.value import risk, services
from lifelong.value.records import ValueSnapshot
from lifelong.value.schemas import RefreshOut, SummaryOut, TierOut, ValueOut

router = Router(tags=["value"])


def _tier(row: services.TierRow) -> dict[str, Any]:
    return {
        "tier": row.tier,
        "customers": row.customers,
        "customer_share": row.customer_share,
        "revenue": row.revenue,
        "revenue_share": row.revenue_share,
        "clv_2y": row.clv_2y,
        "policy": row.policy,
    }


@router.get("/value/summary", response={200: SummaryOut, **CLIENT_ERRORS})
def value_summary(request: HttpRequest) -> dict[str, Any]:
    """The 80:20 figure, the Pareto curve (at most 101 points), the tiers and the last
    refresh, over the customers you may see."""
    customers = customers_visible_to(request.user)
    curve = services.pareto_curve(customers)
    fit = services.last_fit()
    return {
        "customers": curve.n_customers,
        "total_revenue": curve.total_revenue,
        "top": curve.top,
        "top_share": curve.top_share,
        "pareto": [
            {"customers": float(c), "revenue": float(r)}
            for c, r in zip(curve.customer_share, curve.revenue_share, strict=True)
        ],
        "tiers": [_tier(row) for row in services.tier_table(customers)],
        "last_refresh": fit.computed_at if fit else None,
        "fit": fit,
    }


@router.get("/value/tiers", response={200: list[TierOut], **CLIENT_ERRORS})
def value_tiers(request: HttpRequest) -> list[dict[str, Any]]:
    """Per tier: customers, revenue and its share, two-year value, treatment policy."""
    return [_tier(row) for row in services.tier_table(customers_visible_to(request.user))]


@router.get("/customers/{int:customer_id}/value", response={200: ValueOut, **CLIENT_ERRORS})
def customer_value(request: HttpRequest, customer_id: int) -> ValueSnapshot:
    """The customer's value as of the last refresh. 404 when they have none yet (no
    purchases, or none refreshed since)."""
    customer = get_customer_for_user(request.user, customer_id)
    snapshot = services.snapshot_for(customer)
    if snapshot is None:
        raise HttpError(404, "No value for this customer yet: no purchases, or no refresh since.")
    snapshot.policy = services.tier_policy(snapshot.tier)
    return snapshot


@router.post("/value/refresh", response={200: RefreshOut, **CLIENT_ERRORS})
def value_refresh(request: HttpRequest) -> dict[str, Any]:
    """Recompute every customer's value now, then the stored at-risk scores (owners and
    managers; it covers everyone)."""
    if not request.user.sees_all_customers:
        raise PermissionDenied("Only an owner or a manager can refresh the values.")
    result, _ = risk.refresh_values_and_risk()
    return {"customers": result.customers, "seconds": result.seconds, "fit": result.fit}


class RiskOut(Schema):
    customer_id: int
    customer_name: str
    owner_id: int
    tier: str
    score: float = Field(description="0 to 1: the signals' weights combined (noisy-or).")
    signals: list[str]
    reasons: list[str] = Field(description="One sentence per signal, in plain words.")
    value: float = Field(description="Projected two-year value, or revenue without a model.")
    value_at_stake: float
    action: str


class RiskPageOut(Schema):
    items: list[RiskOut]
    total: int
    offset: int


class RiskQuery(Schema):
    tier: Literal["A", "B", "C"] | None = None
    signal: Literal["overdue", "gap", "fall", "survey", "promise", "unanswered"] | None = None
    owner: RowId | None = Field(None, description="An owner's user id.")
    limit: int = Field(50, ge=1, le=500)
    offset: Offset = 0


@router.get("/at-risk", response={200: RiskPageOut, **CLIENT_ERRORS})
def at_risk_list(request: HttpRequest, query: Query[RiskQuery]) -> dict[str, Any]:
    """Customers at risk among those you may see, by value at stake (see docs/at-risk.md);
    filter by tier, signal or owner id. As of the last risk refresh (nightly)."""
    tier, signal, owner = query.tier, query.signal, query.owner
    offset, limit = query.offset, query.limit
    customers = customers_visible_to(request.user).filter(archived_at__isnull=True)
    if tier:
        customers = customers.filter(tier=tier)
    if owner is not None:
        customers = customers.filter(owner_id=owner)
    rows = risk.stored(customers, signals=[signal] if signal else None)
    return {
        "items": [
            {
                "customer_id": r.customer.pk,
                "customer_name": r.customer.display_name,
                "owner_id": r.customer.owner_id,
                "tier": r.customer.tier,
                "score": r.score,
                "signals": r.signals,
                "reasons": r.reasons,
                "value": r.value,
                "value_at_stake": r.value_at_stake,
                "action": r.action,
            }
            for r in map(risk.risk_from_row, rows[offset : offset + limit])
        ],
        "total": rows.count(),
        "offset": offset,
    }
