"""API for a customer's touches: the contact log, newest first."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status

from lifelong.audit.log import record_request
from lifelong.customers.access import customers_visible_to, get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS
from lifelong.touches import coverage, services
from lifelong.touches.access import get_touch_for_user
from lifelong.touches.listing import touch_page
from lifelong.touches.models import Touch
from lifelong.touches.schemas import (
    TOUCH_FIELDS,
    CoverageOut,
    TouchIn,
    TouchOut,
    TouchPageOut,
    TouchPatch,
    TouchQuery,
)

router = Router(tags=["touches"])

TOUCHES = "/customers/{int:customer_id}/touches"
TOUCH = TOUCHES + "/{int:touch_id}"


def _touch(request: HttpRequest, customer_id: int, touch_id: int) -> Touch:
    return get_touch_for_user(request.user, customer_id, touch_id)


@router.get(TOUCHES, response={200: TouchPageOut, **CLIENT_ERRORS})
def touch_list(request: HttpRequest, customer_id: int, query: Query[TouchQuery]) -> dict[str, Any]:
    """The customer's touches, newest first, a page at a time (keyset pagination by `cursor`)."""
    customer = get_customer_for_user(request.user, customer_id)
    page = touch_page(customer, cursor=query.cursor, limit=query.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(TOUCHES, response={201: TouchOut, **CLIENT_ERRORS})
def touch_create(request: HttpRequest, customer_id: int, payload: TouchIn) -> Status:
    """Log a touch by the caller; the customer's last_touched_at moves forward if it is newer."""
    customer = get_customer_for_user(request.user, customer_id)
    touch = services.log_touch(
        customer,
        user=request.user,
        channel=payload.channel,
        direction=payload.direction,
        occurred_at=payload.occurred_at,
        summary=payload.summary,
        outcome=payload.outcome,
    )
    record_request(request, "create", customer_id=customer.pk, target="customer.touches")
    return Status(201, touch)


@router.get(TOUCH, response={200: TouchOut, **CLIENT_ERRORS})
def touch_detail(request: HttpRequest, customer_id: int, touch_id: int) -> Touch:
    return _touch(request, customer_id, touch_id)


@router.patch(TOUCH, response={200: TouchOut, **CLIENT_ERRORS})
def touch_update(
    request: HttpRequest, customer_id: int, touch_id: int, payload: TouchPatch
) -> Touch:
    touch = _touch(request, customer_id, touch_id)
    data = payload.model_dump(exclude_unset=True)
    for name in TOUCH_FIELDS:
        if name in data:
            setattr(touch, name, data[name])
    services.save_touch(touch)
    record_request(request, "change", customer_id=customer_id, target="customer.touches")
    return touch


@router.delete(TOUCH, response={204: None, **CLIENT_ERRORS})
def touch_delete(request: HttpRequest, customer_id: int, touch_id: int) -> HttpResponse:
    services.delete_touch(_touch(request, customer_id, touch_id))
    record_request(request, "delete", customer_id=customer_id, target="customer.touches")
    return HttpResponse(status=204)


@router.get("/coverage", response={200: CoverageOut, **CLIENT_ERRORS})
def coverage_report(request: HttpRequest) -> dict[str, Any]:
    """Keep-in-touch coverage over the customers you may see: the share of customers and
    former customers touched in the last 30 days, overall, by owner and by tier, and the
    share touched in each of the last 12 calendar months (business time zone)."""
    now = timezone.now()
    customers = customers_visible_to(request.user)
    report = coverage.coverage(customers, now)
    return coverage.as_dict(report, coverage.monthly(customers, now))
