"""The API's shapes for customer value (django-ninja schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class PolicyOut(Schema):
    contact_every_days: int = Field(description="The longest gap between contacts (at most 30).")
    extras_allowed: bool


class TierOut(Schema):
    tier: str
    customers: int
    customer_share: float
    revenue: float = Field(description="Historic revenue of the tier's customers.")
    revenue_share: float
    clv_2y: float | None = Field(description="Their projected two-year value, summed.")
    policy: PolicyOut


class ParetoPointOut(Schema):
    customers: float = Field(description="Share of customers, best first (0-1).")
    revenue: float = Field(description="Their share of revenue (0-1).")


class FitOut(Schema):
    computed_at: dt.datetime
    until: dt.date
    unit: str
    model: str = Field(description='"bgnbd" or "pnbd"; empty when the model was skipped.')
    params: dict[str, float]
    log_likelihood: float | None
    std_errors: dict[str, float | None]
    spend_params: dict[str, float]
    n_customers: int
    n_repeat_buyers: int
    seconds: float
    skipped: str = Field(description="Why a model was skipped; empty when none was.")


class SummaryOut(Schema):
    customers: int = Field(description="Customers (that you may see) with purchases.")
    total_revenue: float
    top: float = Field(description="The share of customers in top_share (0.2).")
    top_share: float = Field(description="The share of revenue the top 20% bring.")
    pareto: list[ParetoPointOut]
    tiers: list[TierOut]
    last_refresh: dt.datetime | None
    fit: FitOut | None


class ValueOut(Schema):
    customer: int
    computed_at: dt.datetime
    model: str
    tier: str
    p_alive: float | None = Field(description="Probability they are still a customer.")
    expected_purchases_90d: float | None
    expected_spend: float | None = Field(description="Per purchase.")
    clv_1y: float | None
    clv_2y: float | None
    clv_10y: float | None
    revenue: float
    purchase_count: int
    purchase_days: int
    first_purchase_on: dt.date
    last_purchase_on: dt.date
    recency_score: int
    frequency_score: int
    monetary_score: int
    rfm_cell: str
    policy: PolicyOut

    @staticmethod
    def resolve_customer(obj: Any) -> int:
        return obj.customer_id


class RefreshOut(Schema):
    customers: int
    seconds: float
    fit: FitOut
