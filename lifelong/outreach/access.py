"""The one way to reach outreach messages: through a customer the user may see.
Templates and programs are the business's shared setup (accounts.access.require_manager
to change them); a recipient reaches their own preferences by a signed token
(outreach.compliance)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.outreach.models import Message


def messages_visible_to(user: User) -> QuerySet[Message]:
    """The messages to customers `user` may see (a rep: their own customers'); nobody's
    to an erased customer (kept, blank, for the counts)."""
    if not user.is_authenticated or not user.is_active:
        return Message.objects.none()
    if user.sees_all_customers:
        return Message.objects.filter(customer__erased_at__isnull=True)
    return Message.objects.filter(customer__in=customers_visible_to(user))


def get_message_for_user(user: User, pk: int | str) -> Message:
    """The message with this id if `user` may see its customer; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such message") from None
    qs = messages_visible_to(user).select_related("program", "customer", "sender", "touch")
    message = qs.filter(pk=pk).first()
    if message is None:
        raise Http404("No such message")
    return message
