"""Keep derived occasions in step with their sources, one saved or deleted record at a time.

Bulk writes (bulk_create, raw inserts) send no signals: they call
services.sync_occasions afterwards. Receivers skip `raw` saves (loaddata), as fixtures
carry their occasions with them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from lifelong.customers.models import Customer, ProfileAnswer, Relative
from lifelong.occasions import services
from lifelong.occasions.models import Occasion


def answer_saved(sender: type, instance: ProfileAnswer, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        services.sync_answer(instance)


def answer_deleted(sender: type, instance: ProfileAnswer, **kwargs: Any) -> None:
    services.sync_answer(instance, deleted=True)


def relative_saved(sender: type, instance: Relative, raw: bool = False, **kwargs: Any) -> None:
    # A deleted relative takes its occasion with it (on_delete=CASCADE).
    if not raw:
        services.sync_relative(instance)


def customer_saved(sender: type, instance: Customer, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        services.sync_customer_since(instance.pk)
        # Occasion.value_rank copies the customer's (upcoming() reads it in that order);
        # a save of other fields wrote no rank, and the instance's may be stale.
        fields = kwargs.get("update_fields")
        if fields is None or "value_rank" in fields:
            rank = instance.value_rank
            Occasion.objects.filter(customer_id=instance.pk).exclude(value_rank=rank).update(
                value_rank=rank
            )


def purchase_changed(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """A purchase moves the customer-since date only of a customer without became_customer_on.

    That check also keeps a customer's own deletion safe: their purchases go first, and
    with none left the occasion is deleted, never created for a customer on the way out.
    """
    if raw:
        return
    became = Customer.objects.filter(pk=instance.customer_id).values_list(
        "became_customer_on", flat=True
    )
    if next(iter(became), "gone") is None:
        services.sync_customer_since(instance.customer_id)


def connect() -> None:
    from lifelong.commerce.models import Purchase

    post_save.connect(answer_saved, ProfileAnswer, dispatch_uid="occasions.answer_saved")
    post_delete.connect(answer_deleted, ProfileAnswer, dispatch_uid="occasions.answer_deleted")
    post_save.connect(relative_saved, Relative, dispatch_uid="occasions.relative_saved")
    post_save.connect(customer_saved, Customer, dispatch_uid="occasions.customer_saved")
    post_save.connect(purchase_changed, Purchase, dispatch_uid="occasions.purchase_saved")
    post_delete.connect(purchase_changed, Purchase, dispatch_uid="occasions.purchase_deleted")
