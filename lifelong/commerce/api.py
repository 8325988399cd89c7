"""The commerce part of the REST API: a customer's purchases, and the product catalogue."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from lifelong.audit.log import record_request
from lifelong.commerce import services
from lifelong.commerce.access import get_purchase_for_user
from lifelong.commerce.models import Product, ProductVersion, Purchase
from lifelong.commerce.schemas import (
    ProductIn,
    ProductOut,
    PurchaseIn,
    PurchaseOut,
    PurchasePageOut,
    PurchaseQuery,
    VersionIn,
    VersionOut,
)
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS

router = Router(tags=["commerce"])

PURCHASES = "/customers/{int:customer_id}/purchases"
PURCHASE = PURCHASES + "/{int:purchase_id}"


def _purchase(request: HttpRequest, customer_id: int, purchase_id: int) -> Purchase:
    return get_purchase_for_user(request.user, customer_id, purchase_id)


@router.get(PURCHASES, response={200: PurchasePageOut, **CLIENT_ERRORS})
def purchase_list(
    request: HttpRequest, customer_id: int, query: Query[PurchaseQuery]
) -> dict[str, Any]:
    """The customer's purchases with their lines, newest first, a page at a time (keyset
    pagination by `cursor`)."""
    customer = get_customer_for_user(request.user, customer_id)
    page = services.purchase_page(customer, cursor=query.cursor, limit=query.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(PURCHASES, response={201: PurchaseOut, **CLIENT_ERRORS})
def purchase_create(request: HttpRequest, customer_id: int, payload: PurchaseIn) -> Status:
    """Record a purchase: `occurred_at` or `date`, and a `total` or `lines` (or both, which
    must agree). 422 names each field at fault, lines as lines.0.amount."""
    customer = get_customer_for_user(request.user, customer_id)
    errors: dict[str, list[str]] = {}
    if (payload.occurred_at is None) == (payload.date is None):
        errors["occurred_at"] = ["Give either occurred_at or date."]
    lines = []
    wanted = {line.product_version for line in payload.lines} - {None}
    versions = ProductVersion.objects.in_bulk(wanted)
    for i, line in enumerate(payload.lines):
        version = None
        if line.product_version is not None:
            version = versions.get(line.product_version)
            if version is None:
                errors[f"lines.{i}.product_version"] = [
                    f"There is no product version with id {line.product_version}."
                ]
        lines.append(services.Line(line.amount, line.quantity, version))
    if errors:
        raise ValidationError(errors)
    purchase = services.record_purchase(
        customer,
        occurred_at=payload.occurred_at or payload.date,
        total=payload.total,
        currency=payload.currency,
        channel=payload.channel,
        lines=lines,
        reference=payload.reference,
    )
    record_request(request, "create", customer_id=customer.pk, target="customer.purchases")
    return Status(201, services.purchases_of(customer).get(pk=purchase.pk))


@router.get(PURCHASE, response={200: PurchaseOut, **CLIENT_ERRORS})
def purchase_detail(request: HttpRequest, customer_id: int, purchase_id: int) -> Purchase:
    return _purchase(request, customer_id, purchase_id)


@router.delete(PURCHASE, response={204: None, **CLIENT_ERRORS})
def purchase_delete(request: HttpRequest, customer_id: int, purchase_id: int) -> HttpResponse:
    services.delete_purchase(_purchase(request, customer_id, purchase_id))
    record_request(request, "delete", customer_id=customer_id, target="customer.purchases")
    return HttpResponse(status=204)


# ---------------------------------------------------------------- products


def _require_editor(request: HttpRequest) -> None:
    if not services.may_edit_products(request.user):
        raise PermissionDenied("Only owners and managers can change the products.")


@router.get("/products", response={200: list[ProductOut], **CLIENT_ERRORS})
def product_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every product with its versions (newest first) and, per version, how many customers
    the caller can see bought it."""
    return [
        {**_product_fields(row.product), "versions": row.versions}
        for row in services.product_catalogue(request.user)
    ]


def _product_fields(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "name": product.name,
        "sku": product.sku,
        "category": product.category,
        "created_at": product.created_at,
    }


@router.post("/products", response={201: ProductOut, **CLIENT_ERRORS})
def product_create(request: HttpRequest, payload: ProductIn) -> Status:
    """Add a product (owners and managers). Add its versions next."""
    _require_editor(request)
    product = services.add_product(
        name=payload.name, sku=payload.sku or "", category=payload.category
    )
    return Status(201, {**_product_fields(product), "versions": []})


@router.post("/products/{int:product_id}/versions", response={201: VersionOut, **CLIENT_ERRORS})
def version_create(request: HttpRequest, product_id: int, payload: VersionIn) -> Status:
    """Add a version (owners and managers). Without `supersedes` it supersedes the
    product's latest version; with null, none."""
    _require_editor(request)
    product = get_object_or_404(Product, pk=product_id)
    supersedes: Any = services.LATEST
    if "supersedes" in payload.model_fields_set:
        supersedes = None
        if payload.supersedes is not None:
            supersedes = product.versions.filter(pk=payload.supersedes).first()
            if supersedes is None:
                raise ValidationError(
                    {"supersedes": [f"{product.name} has no version with id {payload.supersedes}."]}
                )
    version = services.add_version(
        product, label=payload.label, released_on=payload.released_on, supersedes=supersedes
    )
    return Status(201, version)
