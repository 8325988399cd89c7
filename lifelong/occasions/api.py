"""API for occasions: what comes up, a customer's dates, adding and deleting custom ones."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS, ErrorOut
from lifelong.occasions import services
from lifelong.occasions.access import get_occasion_for_user
from lifelong.occasions.models import Kind, Occasion

router = Router(tags=["occasions"])


class OccasionOut(Schema):
    id: int
    customer_id: int
    kind: str = Field(description=f"One of: {', '.join(Kind.values)}.")
    title: str
    label: str
    month: int
    day: int
    year: int | None = Field(description="Null when unknown.")
    derived: bool = Field(description="Kept in sync from another record; edit it there.")
    next_on: dt.date | None = Field(description="The next occurrence; null for a past one-off.")


class OccasionIn(Schema):
    kind: str = Field(Kind.CUSTOM, description="custom (every year) or one_off.")
    label: str
    date: str = Field(description="YYYY-MM-DD, or --MM-DD for a custom date without its year.")


class UpcomingOut(Schema):
    key: str = Field(description="occasion:<id>:<date>, the stable id of this occurrence.")
    occasion_id: int
    customer_id: int
    customer_name: str
    kind: str
    title: str
    on: dt.date
    remind_from: dt.date
    years: int | None


class UpcomingQuery(Schema):
    days: int = Field(0, ge=0, le=180, description="Also what needs attention this many days on.")
    limit: int = Field(100, ge=1, le=1000)


def _out(occasion: Occasion, today: dt.date) -> dict:
    on = services.next_occurrence(occasion, today)
    return {
        "id": occasion.pk,
        "customer_id": occasion.customer_id,
        "kind": occasion.kind,
        "title": services.title_of(occasion, on),
        "label": occasion.label,
        "month": occasion.month,
        "day": occasion.day,
        "year": occasion.year,
        "derived": occasion.derived,
        "next_on": on,
    }


@router.get("/occasions/upcoming", response={200: list[UpcomingOut], **CLIENT_ERRORS})
def upcoming_list(request: HttpRequest, query: Query[UpcomingQuery]) -> list[dict]:
    """Occurrences that need attention today (or within `days`), most valuable customers
    first, then by date. Done and dismissed ones are left out, snoozed ones until due."""
    today = services.local_today()
    found = services.upcoming(
        customers_visible_to(request.user), today, days=query.days, limit=query.limit
    )
    return [
        {
            "key": u.key,
            "occasion_id": u.occasion.pk,
            "customer_id": u.occasion.customer_id,
            "customer_name": u.occasion.customer.display_name,
            "kind": u.kind,
            "title": u.title,
            "on": u.on,
            "remind_from": u.remind_from,
            "years": u.years,
        }
        for u in found
    ]


@router.get(
    "/customers/{int:customer_id}/occasions",
    response={200: list[OccasionOut], **CLIENT_ERRORS},
)
def occasion_list(request: HttpRequest, customer_id: int) -> list[dict]:
    """The customer's dates, derived and added, with their next occurrence."""
    customer = get_customer_for_user(request.user, customer_id)
    today = services.local_today()
    occasions = customer.occasions.select_related("relative").order_by("month", "day", "id")
    return [_out(o, today) for o in occasions]


@router.post(
    "/customers/{int:customer_id}/occasions",
    response={201: OccasionOut, **CLIENT_ERRORS},
)
def occasion_create(request: HttpRequest, customer_id: int, payload: OccasionIn) -> Status:
    """Add a custom yearly date or a one-off date (its year required)."""
    customer = get_customer_for_user(request.user, customer_id)
    occasion = services.add_occasion(
        customer, kind=payload.kind, label=payload.label, date=payload.date
    )
    return Status(201, _out(occasion, services.local_today()))


@router.delete("/occasions/{int:occasion_id}", response={204: None, 409: ErrorOut, **CLIENT_ERRORS})
def occasion_delete(request: HttpRequest, occasion_id: int) -> HttpResponse:
    """Delete a date a person added. A derived one answers 409: change it at its source."""
    occasion = get_occasion_for_user(request.user, occasion_id)
    try:
        services.delete_occasion(occasion)
    except services.OccasionIsDerived as e:
        raise HttpError(409, str(e)) from None
    return HttpResponse(status=204)
