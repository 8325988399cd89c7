"""Customer.referred_by → Referral: the customer form and the customers API write
referred_by; these receivers turn that into the referral it mirrors.

- referred_by set where there was no referral: a referral is created (status from the
  customer's status).
- referred_by changed to somebody else: the referral moves to the new referrer.
- referred_by cleared while a referral exists: the mirror is put back. The referral is
  the record; it is removed on the customer page's Referrals panel, not by a blank field.
- A change that would make a cycle is refused with ValidationError on "referred_by",
  which save_customer's transaction turns into a form or API error.

Bulk writes (bulk_create, bulk_update, queryset.update) send no signals; the demo and
importers call services.sync_from_customers() afterwards.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from lifelong.customers.models import Customer, Status
from lifelong.referrals.models import Referral, ReferralStatus
from lifelong.referrals.services import check_referral, referrer_of

UID_PRE = "referrals.pre_save_customer"
UID_POST = "referrals.post_save_customer"


def _check(sender, instance: Customer, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None or instance.referred_by_id is None:
        return
    if referrer_of(instance.pk) == instance.referred_by_id:
        return
    try:
        check_referral(instance.referred_by_id, instance.pk, moving=True)
    except ValidationError as e:
        raise ValidationError({"referred_by": e.message_dict["referred"]}) from None


def _sync(sender, instance: Customer, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    referral = Referral.objects.filter(referred_id=instance.pk).first()
    if instance.referred_by_id is None:
        if referral is not None:
            Customer.objects.filter(pk=instance.pk).update(referred_by_id=referral.referrer_id)
            instance.referred_by_id = referral.referrer_id
        return
    if referral is None:
        converted = instance.status in (Status.CUSTOMER, Status.FORMER)
        Referral.objects.create(
            referrer_id=instance.referred_by_id,
            referred=instance,
            status=ReferralStatus.BECAME_CUSTOMER if converted else ReferralStatus.INTRODUCED,
            converted_on=(
                (instance.became_customer_on or timezone.localdate()) if converted else None
            ),
        )
    elif referral.referrer_id != instance.referred_by_id:
        Referral.objects.filter(pk=referral.pk).update(referrer_id=instance.referred_by_id)


def connect() -> None:
    pre_save.connect(_check, sender=Customer, dispatch_uid=UID_PRE)
    post_save.connect(_sync, sender=Customer, dispatch_uid=UID_POST)
