"""Reaching survey answers: through the customers a user may see. Surveys themselves are
the business's shared setup (everybody reads them, owners and managers change them); a
customer reaches their own invitation by its token (surveys/public_views.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.surveys.models import Invitation, Response


def responses_visible_to(user: User) -> QuerySet[Response]:
    """The responses of the customers `user` may see (a rep: their own customers')."""
    return Response.objects.filter(customer__in=customers_visible_to(user))


def invitations_visible_to(user: User) -> QuerySet[Invitation]:
    """The invitations to the customers `user` may see."""
    return Invitation.objects.filter(customer__in=customers_visible_to(user))
