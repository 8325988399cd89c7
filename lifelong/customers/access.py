"""The one way to reach customer records: every lookup goes through here.

A rep sees the customers they own; a manager or owner sees them all. A record
that exists but is not yours is indistinguishable from one that does not exist.
"""

from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.models import Customer


def customers_visible_to(user: User) -> QuerySet[Customer]:
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    if user.sees_all_customers:
        return Customer.objects.all()
    return Customer.objects.filter(owner=user)


def get_customer_for_user(user: User, pk: int | str) -> Customer:
    """The customer with this id if `user` may see it; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such customer") from None
    customer = customers_visible_to(user).select_related("owner").filter(pk=pk).first()
    if customer is None:
        raise Http404("No such customer")
    return customer
