"""Reaching the extras given and suggested: through the customers a user may see. The
extras and their rules are the business's shared setup (require_manager to change)."""

from __future__ import annotations

from django.db.models import QuerySet

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.extras.models import ExtraGiven, ExtraSuggestion


def given_visible_to(user: User) -> QuerySet[ExtraGiven]:
    """The extras given to the customers `user` may see."""
    visible = customers_visible_to(user).order_by().values("pk")
    return ExtraGiven.objects.filter(customer__in=visible)


def suggestions_visible_to(user: User) -> QuerySet[ExtraSuggestion]:
    """The suggested extras for the customers `user` may see."""
    visible = customers_visible_to(user).order_by().values("pk")
    return ExtraSuggestion.objects.filter(customer__in=visible)
