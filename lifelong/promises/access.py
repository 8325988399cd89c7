"""The one way to reach a promise: through a customer the user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.promises.models import Promise


def promises_visible_to(user: User) -> QuerySet[Promise]:
    """The promises to customers `user` may see (a rep: their own customers')."""
    return Promise.objects.filter(customer__in=customers_visible_to(user))


def get_promise_for_user(user: User, pk: int | str) -> Promise:
    """The promise with this id if `user` may see its customer; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such promise") from None
    promise = (
        promises_visible_to(user)
        .select_related("customer__owner", "owner", "created_by")
        .filter(pk=pk)
        .first()
    )
    if promise is None:
        raise Http404("No such promise")
    return promise
