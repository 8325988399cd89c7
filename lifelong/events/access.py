"""Reaching events and their invitations. Owners and managers see every event; a rep
the events one of their customers is invited to, and of those only their customers'
invitations. A guest reaches their own invitation by its signed RSVP link
(events.services.invitation_by_token)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.customers.access import customers_visible_to
from lifelong.events.models import Event, Invitation


def events_visible_to(user: User) -> QuerySet[Event]:
    """Owners and managers see every event; a rep those their customers are invited to."""
    if not user.is_authenticated or not user.is_active:
        return Event.objects.none()
    if user.sees_all_customers:
        return Event.objects.all()
    mine = Invitation.objects.filter(event=OuterRef("pk"), customer__owner=user)
    return Event.objects.filter(Exists(mine))


def get_event_for_user(user: User, pk: int | str) -> Event:
    """The event if `user` may see it; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such event") from None
    event = events_visible_to(user).filter(pk=pk).first()
    if event is None:
        raise Http404("No such event")
    return event


def invitations_visible_to(user: User, event: Event) -> QuerySet[Invitation]:
    """The event's invitations to the customers `user` may see."""
    return (
        event.invitations.filter(customer__in=customers_visible_to(user))
        .select_related("customer__owner")
        .order_by("customer__sort_name", "id")
    )
