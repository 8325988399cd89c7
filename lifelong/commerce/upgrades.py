"""Upgrade offers: when a new version is out, the owners of older ones hear about it.

The candidates for a version are the customers whose LATEST purchase of its product is
an older version (one it supersedes, directly or down the chain, or one released
before it): a customer who bought 1.0 and then 2.0 is not offered 2.0 again.

An offer is a special price until an expiry date, sent as a one-off marketing program
(drafts, for review) with the "upgrade-offer" starter template. Its messages are
enqueued directly (outbox.enqueue) rather than through a Segment and run_program, for
two reasons: the segment filter "bought version X" matches anybody who ever bought X,
not those whose latest purchase is X, and each customer's message names their own old
version, which a segment run cannot give it.

An offer is accepted when the customer buys the new version after the offer was made
and by the end of its expiry day (the business's time zone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from lifelong.accounts.models import Business, User
from lifelong.commerce.models import ProductVersion, PurchaseLine, UpgradeOffer
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.outreach.models import (
    Approval,
    Message,
    MessageStatus,
    Program,
    ProgramKind,
    Purpose,
    Template,
)
from lifelong.outreach.outbox import Outgoing, enqueue
from lifelong.outreach.programs import _chunked
from lifelong.outreach.rendering import context_for, ensure_starter_templates, render

TEMPLATE_KEY = "upgrade-offer"
OCCURRENCE = "offer"


def is_upgrade(version: ProductVersion) -> bool:
    """A released version that supersedes another: one that can be offered as an upgrade."""
    return version.released_on is not None and version.supersedes_id is not None


def older_versions(version: ProductVersion) -> list[ProductVersion]:
    """The versions of the same product that `version` replaces: those it supersedes down
    the chain, and those released before it."""
    siblings = {v.pk: v for v in version.product.versions.exclude(pk=version.pk)}
    older: dict[int, ProductVersion] = {}
    step = version.supersedes_id
    while step is not None and step in siblings and step not in older:
        older[step] = siblings[step]
        step = siblings[step].supersedes_id
    if version.released_on is not None:
        for v in siblings.values():
            if v.released_on is not None and v.released_on < version.released_on:
                older[v.pk] = v
    return sorted(older.values(), key=lambda v: (v.released_on or dt.date.min, v.pk))


def candidates(version: ProductVersion, *, visible_to: User | None = None) -> QuerySet[Customer]:
    """Customers whose latest purchase of `version`'s product is an older version, each
    annotated with `old_version_id` (that version)."""
    latest = (
        PurchaseLine.objects.filter(
            customer=OuterRef("pk"), product_version__product_id=version.product_id
        )
        .order_by("-purchase__occurred_at", "-purchase_id", "-id")
        .values("product_version_id")[:1]
    )
    older = [v.pk for v in older_versions(version)]
    customers = customers_visible_to(visible_to) if visible_to else Customer.objects.not_erased()
    bought = PurchaseLine.objects.filter(product_version__product_id=version.product_id)
    return (
        customers.filter(archived_at__isnull=True, pk__in=bought.values("customer_id"))
        .annotate(old_version_id=Subquery(latest))
        .filter(old_version_id__in=older)
    )


def upgrade_candidates(
    version: ProductVersion, *, visible_to: User | None = None
) -> list[tuple[ProductVersion, int]]:
    """(old version, how many candidates last bought it), oldest version first."""
    rows = (
        candidates(version, visible_to=visible_to)
        .order_by()
        .values("old_version_id")
        .annotate(n=Count("pk"))
    )
    by_id = {r["old_version_id"]: r["n"] for r in rows}
    return [(v, by_id[v.pk]) for v in older_versions(version) if v.pk in by_id]


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}".replace(",", "\u202f")


def _template() -> Template:
    template = Template.objects.filter(key=TEMPLATE_KEY).first()
    if template is None:
        ensure_starter_templates()
        template = Template.objects.get(key=TEMPLATE_KEY)
    return template


@transaction.atomic
def prepare_offer(
    version: ProductVersion, *, price: Decimal, expires_on: dt.date, by: User | None = None
) -> UpgradeOffer:
    """Store the offer and put a draft message in the outbox for each candidate who may
    be emailed (not archived, with an address and marketing consent); somebody reviews
    the drafts before they go."""
    errors: dict[str, list[str]] = {}
    if not is_upgrade(version):
        errors["version"] = ["Only a released version that supersedes another is an upgrade."]
    if price is None or price < 0:
        errors["price"] = ["Give the offer price."]
    business = Business.get()
    if expires_on is None or expires_on < business.today():
        errors["expires_on"] = ["The offer must hold until today or later."]
    if errors:
        raise ValidationError(errors)
    name = f"Upgrade offer: {version}"
    program = Program.objects.create(
        name=name[:200],
        kind=ProgramKind.ONE_OFF,
        purpose=Purpose.MARKETING,
        approval=Approval.DRAFTS,
        template=_template(),
        next_run_at=None,  # never due: its messages are enqueued here
        created_by=by,
    )
    offer = UpgradeOffer.objects.create(
        version=version, price=price, expires_on=expires_on, program=program, created_by=by
    )
    labels = {v.pk: v.label for v in older_versions(version)}
    price_words = money(price, business.currency)
    expiry_words = f"{expires_on:%-d %B %Y}"
    recipients = candidates(version).filter(email_consent=True, emails__isnull=False).distinct()
    old_of = dict(recipients.values_list("pk", "old_version_id"))

    def messages():
        for chunk in _chunked(Customer.objects.filter(pk__in=list(old_of))):
            for customer in chunk:
                sender = customer.owner
                old = labels[old_of[customer.pk]]
                context = context_for(
                    customer,
                    sender=sender,
                    extra={
                        "product_name": version.product.name,
                        "old_version": old,
                        "new_version": version.label,
                        "offer_price": price_words,
                        "offer_expires": expires_on,
                        "offer": f"{price_words} until {expiry_words}",
                    },
                )
                parts = render(program.template, context)
                yield Outgoing(
                    customer_id=customer.pk,
                    to_address=customer.emails.all()[0].address,
                    subject=parts.subject,
                    body_text=parts.body_text,
                    body_html=parts.body_html,
                    from_name=sender.get_full_name() or sender.username,
                    sender_id=sender.pk,
                )

    enqueue(program, messages(), OCCURRENCE, status=MessageStatus.DRAFT)
    return offer


@dataclass(frozen=True)
class Results:
    offered: int  # customers with a message of the offer that was not skipped
    accepted: int  # of them, those who bought the new version in time
    revenue: Decimal  # what those purchases of the new version came to


def offer_results(offer: UpgradeOffer) -> Results:
    """How the offer did: bought the new version after it was made and by the end of
    its expiry day counts as accepted."""
    offered_ids = Message.objects.filter(program_id=offer.program_id).exclude(
        status=MessageStatus.SKIPPED
    )
    business = Business.get()
    end = business.start_of(offer.expires_on + dt.timedelta(days=1))
    lines = PurchaseLine.objects.filter(
        product_version=offer.version,
        customer_id__in=offered_ids.values("customer_id"),
        purchase__occurred_at__gte=offer.created_at,
        purchase__occurred_at__lt=end,
    )
    totals = lines.aggregate(accepted=Count("customer_id", distinct=True), revenue=Sum("amount"))
    return Results(
        offered=offered_ids.values("customer_id").distinct().count(),
        accepted=totals["accepted"] or 0,
        revenue=totals["revenue"] or Decimal("0.00"),
    )


def offers_for(version: ProductVersion) -> list[tuple[UpgradeOffer, Results]]:
    return [(o, offer_results(o)) for o in version.offers.select_related("program")]
