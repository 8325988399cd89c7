"""The one way to reach an occasion: through a customer the user may see."""

from __future__ import annotations

from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.occasions.models import Occasion


def get_occasion_for_user(user: User, pk: int | str) -> Occasion:
    """The occasion with this id if `user` may see its customer; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such occasion") from None
    occasion = (
        Occasion.objects.select_related("customer", "relative")
        .filter(pk=pk, customer__in=customers_visible_to(user))
        .first()
    )
    if occasion is None:
        raise Http404("No such occasion")
    return occasion
