"""The one way to reach purchases: through a customer the user may see. Products and
their versions are the business's shared catalogue (commerce.services.may_edit_products
says who changes them)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.commerce.models import Purchase, PurchaseLine
from lifelong.customers.access import customers_visible_to
from lifelong.ids import row_id


def purchases_visible_to(user: User) -> QuerySet[Purchase]:
    """The purchases of the customers `user` may see (a rep: their own customers')."""
    return Purchase.objects.filter(customer__in=customers_visible_to(user))


def get_purchase_for_user(user: User, customer_id: int | str, purchase_id: int | str) -> Purchase:
    """Purchase `purchase_id` of customer `customer_id` if `user` may see that customer;
    Http404 otherwise (also for a purchase of another customer)."""
    # row_id: a customer_id past 64 bits overflowed in the foreign-key lookup (a 500).
    customer_id, purchase_id = row_id(customer_id), row_id(purchase_id)
    if customer_id is None or purchase_id is None:
        raise Http404("No such purchase")
    lines = PurchaseLine.objects.select_related("product_version__product").order_by("id")
    purchase = (
        purchases_visible_to(user)
        .select_related("customer__owner")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .filter(pk=purchase_id, customer_id=customer_id)
        .first()
    )
    if purchase is None:
        raise Http404("No such purchase")
    return purchase
