"""The one way to reach customer records: every lookup goes through here.

A rep sees the customers they own; a manager or owner sees them all. A record
that exists but is not yours is indistinguishable from one that does not exist.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.models import Customer, Relative
from lifelong.ids import row_id


def customers_visible_to(user: User) -> QuerySet[Customer]:
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    # An erased customer (privacy/erasure.py) is an anonymised row kept for the value
    # models: nobody sees it again.
    if user.sees_all_customers:
        return Customer.objects.not_erased()
    return Customer.objects.not_erased().filter(owner=user)


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


def get_relative_for_user(user: User, customer_id: int | str, relative_id: int | str) -> Relative:
    """Relative `relative_id` of customer `customer_id` if `user` may see that customer;
    Http404 otherwise (also for a relative of another customer)."""
    # row_id: a customer_id past 64 bits overflowed in the foreign-key lookup (a 500).
    customer_id, relative_id = row_id(customer_id), row_id(relative_id)
    if customer_id is None or relative_id is None:
        raise Http404("No such relative")
    relative = (
        Relative.objects.select_related("customer__owner")
        .filter(pk=relative_id, customer_id=customer_id, customer__in=customers_visible_to(user))
        .first()
    )
    if relative is None:
        raise Http404("No such relative")
    return relative


def assignable_owner(user: User, owner_id: int | None, *, current: User | None = None) -> User:
    """The user who is to own a customer that `user` creates (current=None) or edits.

    No owner_id keeps the current owner, or makes `user` the owner of a new customer.
    A rep may not hand a customer to anybody else (PermissionDenied); an owner or manager
    may choose any active user (ValidationError on "owner" otherwise).
    """
    fallback = current or user
    if owner_id is None or owner_id == fallback.pk:
        return fallback
    if not user.sees_all_customers:
        raise PermissionDenied("A rep cannot give a customer to another owner.")
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({"owner": [f"There is no active user with id {owner_id}."]})
    return owner


def visible_referrer(user: User, referrer_id: int | None) -> Customer | None:
    """The customer `referrer_id` as a referrer `user` may name; ValidationError if unseen."""
    if referrer_id is None:
        return None
    referrer = customers_visible_to(user).filter(pk=referrer_id).first()
    if referrer is None:
        raise ValidationError({"referred_by": [f"There is no customer with id {referrer_id}."]})
    return referrer
