"""The one way to reach touches: through a customer the user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.ids import row_id
from lifelong.touches.models import Touch


def touches_visible_to(user: User) -> QuerySet[Touch]:
    """The touches of the customers `user` may see (a rep: their own customers')."""
    return Touch.objects.filter(customer__in=customers_visible_to(user))


def get_touch_for_user(user: User, customer_id: int | str, touch_id: int | str) -> Touch:
    """Touch `touch_id` of customer `customer_id` if `user` may see that customer; Http404
    otherwise (also for a touch of another customer)."""
    # row_id: a customer_id past 64 bits overflowed in the foreign-key lookup (a 500).
    customer_id, touch_id = row_id(customer_id), row_id(touch_id)
    if customer_id is None or touch_id is None:
        raise Http404("No such touch")
    touch = (
        touches_visible_to(user)
        .select_related("user", "customer__owner")
        .filter(pk=touch_id, customer_id=customer_id)
        .first()
    )
    if touch is None:
        raise Http404("No such touch")
    return touch
