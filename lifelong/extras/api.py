"""API for extras: the list and the rules (owners and managers change them), the extras
given (list; give one to a customer) and the open suggestions. Customers are reached
through the access helper: somebody else's is a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifelong.accounts.access import require_manager
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.extras import services
from lifelong.extras.access import given_visible_to, suggestions_visible_to
from lifelong.extras.models import Extra, ExtraGiven, ExtraRule, ExtraSuggestion
from lifelong.ids import Count

router = Router(tags=["extras"])


class ExtraIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    cost: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    active: bool = True


class ExtraOut(ExtraIn):
    id: int


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    min_purchases: Count | None = None
    tier_in: list[Literal["A", "B", "C"]] = []
    order_multiple: Decimal | None = Field(None, ge=0, max_digits=6, decimal_places=2)
    extra_id: int
    active: bool = True


class RuleOut(RuleIn):
    id: int


class GiveIn(Schema):
    extra_id: int
    note: str = Field("", max_length=500)


class GivenOut(Schema):
    id: int
    customer_id: int
    extra_id: int
    extra: str
    cost: Decimal
    given_at: dt.datetime
    given_by_id: int | None
    note: str
    purchase_id: int | None

    @staticmethod
    def resolve_extra(obj: ExtraGiven) -> str:
        return obj.extra.name


class SuggestionOut(Schema):
    id: int
    customer_id: int
    rule_id: int
    extra: str
    purchase_id: int
    multiple: float | None
    created_at: dt.datetime
    status: str

    @staticmethod
    def resolve_extra(obj: ExtraSuggestion) -> str:
        return obj.rule.extra.name


@router.get("/extras", response={200: list[ExtraOut], **CLIENT_ERRORS})
def list_extras(request: HttpRequest) -> list[Extra]:
    """Every extra, active or not."""
    return list(Extra.objects.all())


@router.post("/extras", response={201: ExtraOut, **CLIENT_ERRORS})
def create_extra(request: HttpRequest, payload: ExtraIn) -> Status:
    require_manager(request.user, "change the extras")
    return Status(201, Extra.objects.create(**payload.dict()))


@router.get("/extras/rules", response={200: list[RuleOut], **CLIENT_ERRORS})
def list_rules(request: HttpRequest) -> list[ExtraRule]:
    return list(ExtraRule.objects.all())


@router.post("/extras/rules", response={201: RuleOut, **CLIENT_ERRORS})
def create_rule(request: HttpRequest, payload: RuleIn) -> Status:
    require_manager(request.user, "change the extras")
    data = payload.dict()
    data["extra"] = get_object_or_404(Extra, pk=data.pop("extra_id"))
    return Status(201, ExtraRule.objects.create(**data))


@router.get("/extras/given", response={200: list[GivenOut], **CLIENT_ERRORS})
def list_given(request: HttpRequest, limit: int = 100) -> list[ExtraGiven]:
    """The newest extras given to the customers you may see (at most 500)."""
    qs = given_visible_to(request.user).select_related("extra")
    return list(qs[: max(1, min(limit, 500))])


@router.post("/customers/{int:customer_id}/extras", response={201: GivenOut, **CLIENT_ERRORS})
def give_extra(request: HttpRequest, customer_id: int, payload: GiveIn) -> Status:
    """Give the customer an extra (logged as a gift touch)."""
    customer = get_customer_for_user(request.user, customer_id)
    extra = get_object_or_404(Extra, pk=payload.extra_id, active=True)
    return Status(201, services.give(customer, extra, by=request.user, note=payload.note))


@router.get("/customers/{int:customer_id}/extras", response={200: list[GivenOut], **CLIENT_ERRORS})
def customer_extras(request: HttpRequest, customer_id: int) -> list[ExtraGiven]:
    customer = get_customer_for_user(request.user, customer_id)
    return list(customer.extras_given.select_related("extra"))


@router.get("/extras/suggestions", response={200: list[SuggestionOut], **CLIENT_ERRORS})
def list_suggestions(
    request: HttpRequest, status: Literal["open", "given", "declined"] = "open"
) -> list[ExtraSuggestion]:
    """Suggestions for the customers you may see, newest first (at most 500)."""
    qs = suggestions_visible_to(request.user).filter(status=status)
    return list(qs.select_related("rule__extra")[:500])
