"""Logging touches; every path keeps Customer.last_touched_at true."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.customers import cadence
from lifelong.customers.models import Customer
from lifelong.touches.models import Touch


def _refresh_last_touched(customer: Customer, *, touched: bool = False) -> None:
    """Keep last_touched_at and the next contact date true; a new or edited touch
    (`touched`) also ends a snooze, since the contact it held back has happened."""
    latest = customer.touches.aggregate(latest=Max("occurred_at"))["latest"]
    Customer.objects.filter(pk=customer.pk).update(last_touched_at=latest)
    customer.last_touched_at = latest
    if touched:
        cadence.clear_snooze(customer)
    cadence.refresh_due(customer)


@transaction.atomic
def log_touch(
    customer: Customer,
    *,
    user: User | None,
    channel: str,
    summary: str,
    direction: str = "outbound",
    occurred_at: dt.datetime | None = None,
    outcome: str = "",
) -> Touch:
    """Record a touch and move the customer's last touch forward if it is newer."""
    touch = Touch(
        customer=customer,
        user=user,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at or timezone.now(),
        summary=summary.strip(),
        outcome=outcome.strip(),
    )
    save_touch(touch)
    return touch


@transaction.atomic
def save_touch(touch: Touch) -> Touch:
    """Validate and save a new or edited touch, then refresh the customer's last touch."""
    if touch.occurred_at and touch.occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": ["A touch cannot be in the future."]})
    touch.full_clean()
    touch.save()
    _refresh_last_touched(touch.customer, touched=True)
    return touch


@transaction.atomic
def delete_touch(touch: Touch) -> None:
    customer = touch.customer
    touch.delete()
    _refresh_last_touched(customer)
