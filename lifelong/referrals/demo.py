"""Demo referrals: the demo's referred_by links as Referral rows, a few chains, and asks."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.db import transaction

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer, Status
from lifelong.referrals.models import Answer, Referral, ReferralAsk, ReferralStatus
from lifelong.referrals.services import referrer_chain, sync_from_customers
from lifelong.touches.models import Channel

CHAINS = 4
CHAIN_LENGTH = 4


@transaction.atomic
def add_demo_referrals(customers: list[Customer], rng: random.Random, today: dt.date) -> int:
    """Referral rows for `customers`' referred_by links (a link that would close a loop is
    dropped from referred_by too), a few chains three or four people deep, and a past
    ask for about one customer in twenty. Returns how many referrals it added."""
    if len(customers) < 2:
        return 0
    ids = [c.pk for c in customers]
    pool = Customer.objects.filter(pk__in=ids)
    # Random demo links can loop (A introduced B, B introduced A); real data should not.
    links = dict(pool.filter(referred_by__isnull=False).values_list("pk", "referred_by"))
    for pk in list(links):
        if _loops(pk, links):
            del links[pk]
            Customer.objects.filter(pk=pk).update(referred_by=None)
    added = sync_from_customers(pool)
    added += _chains(customers, rng, today)
    _asks(customers, rng, today)
    return added


def _loops(pk: int, links: dict[int, int]) -> bool:
    """Whether following the links (customer → who referred them) up from `pk` comes
    back to `pk`."""
    seen, current = set(), links.get(pk)
    while current is not None and current not in seen:
        if current == pk:
            return True
        seen.add(current)
        current = links.get(current)
    return False


def _chains(customers: list[Customer], rng: random.Random, today: dt.date) -> int:
    taken = set(
        Referral.objects.filter(referred_id__in=[c.pk for c in customers]).values_list(
            "referred_id", flat=True
        )
    )
    free = [c for c in customers if c.pk not in taken]
    rng.shuffle(free)
    tz = Business.get().tzinfo
    added = 0
    for _ in range(CHAINS):
        if len(free) < CHAIN_LENGTH:
            break
        chain = [free.pop() for _ in range(rng.randint(3, CHAIN_LENGTH))]
        on = today - dt.timedelta(days=rng.randint(200, 700))
        for referrer, referred in itertools.pairwise(chain):
            if referred.pk in referrer_chain(referrer.pk):
                continue
            on = min(today, on + dt.timedelta(days=rng.randint(20, 120)))
            converted = referred.status in (Status.CUSTOMER, Status.FORMER)
            Referral.objects.create(
                referrer=referrer,
                referred=referred,
                referred_on=on,
                status=ReferralStatus.BECAME_CUSTOMER
                if converted
                else rng.choice([ReferralStatus.INTRODUCED, ReferralStatus.CONTACTED]),
                status_changed_at=dt.datetime.combine(on, dt.time(12), tz),
                converted_on=on if converted else None,
                note=f"Introduced by {referrer.display_name} (demo).",
            )
            Customer.objects.filter(pk=referred.pk).update(referred_by=referrer)
            added += 1
    return added


def _asks(customers: list[Customer], rng: random.Random, today: dt.date) -> None:
    tz = Business.get().tzinfo
    asks = []
    for customer in rng.sample(customers, k=max(1, len(customers) // 20)):
        day = today - dt.timedelta(days=rng.randint(20, 400))
        asks.append(
            ReferralAsk(
                customer=customer,
                asked_at=dt.datetime.combine(day, dt.time(rng.randint(9, 16)), tz),
                asked_by=customer.owner,
                channel=rng.choice([Channel.CALL, Channel.MEETING, Channel.EMAIL]),
                answer=rng.choice(list(Answer.values)),
                note="",
            )
        )
    ReferralAsk.objects.bulk_create(asks)
