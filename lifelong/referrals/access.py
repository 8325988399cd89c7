"""Reaching referrals: through the customers a user may see.

A referral belongs to its referrer: whoever may see the referrer sees the referral and
may change it. The person referred is named only to those who may see them too.
"""

from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.referrals.models import Referral, ReferralAsk


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    return Referral.objects.filter(referrer__in=customers_visible_to(user))


def asks_visible_to(user: User) -> QuerySet[ReferralAsk]:
    """The referral asks of the customers `user` may see."""
    return ReferralAsk.objects.filter(customer__in=customers_visible_to(user))


def referral_that_brought(customer: Customer) -> Referral | None:
    """The referral that brought `customer` (reached through get_customer_for_user). Its
    referrer may be somebody the user cannot see: check before naming them."""
    return Referral.objects.filter(referred=customer).select_related("referrer").first()


def get_referral_for_user(user: User, pk: int | str) -> Referral:
    """The referral with this id if `user` may see its referrer; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such referral") from None
    referral = (
        referrals_visible_to(user).select_related("referrer", "referred").filter(pk=pk).first()
    )
    if referral is None:
        raise Http404("No such referral")
    return referral
