"""A segment's filters: a validated spec, and the one query that finds its customers.

Every filter is a field of FilterSpec; customers_matching() maps each to an explicit ORM
lookup written below, never to keys taken from the request. Filters combine with AND; a
list inside one filter means "any of". Product, purchase and birthday filters are EXISTS
subqueries, so counting a segment is one SQL statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic import ValidationError as PydanticValidationError

from lifelong.accounts.models import Business, User
from lifelong.commerce.models import Product, ProductVersion, Purchase, PurchaseLine
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer, Status, Tag
from lifelong.ids import RowId
from lifelong.occasions.models import Kind as OccasionKind
from lifelong.occasions.models import Occasion

TIERS = ("A", "B", "C", "none")  # "none": no tier yet (Customer.tier is "")
MAX_DAYS = 3650


class FilterSpec(BaseModel):
    """What a segment selects. Empty lists and None mean "no filter"; the empty spec is
    every active (not archived) customer."""

    model_config = ConfigDict(extra="forbid")

    status: list[Status] = Field(default=[], description="Any of: prospect, customer, former.")
    tier: list[Literal["A", "B", "C", "none"]] = Field(
        default=[], description='Any of A, B, C, and "none" for customers without a tier yet.'
    )
    tags: list[str] = Field(default=[], description="Tag names; the customer has any of them.")
    owner: list[RowId] = Field(default=[], description="User ids; the customer's owner is one.")
    products: list[RowId] = Field(
        default=[], description="Product ids; the customer bought any version of any of them."
    )
    versions: list[RowId] = Field(
        default=[], description="Product version ids; the customer bought any of them."
    )
    last_purchase_after: dt.date | None = Field(
        default=None, description="The last purchase was on or after this date."
    )
    last_purchase_before: dt.date | None = Field(
        default=None, description="The customer bought, and the last purchase was before this date."
    )
    not_touched_for_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description="No touch in the last N days (customers never touched count too).",
    )
    never_touched: bool = Field(default=False, description="No touch ever logged.")
    birthday_this_month: bool = Field(
        default=False, description="Their birthday falls in this month (the business's time zone)."
    )
    consent: Literal["yes", "no"] | None = Field(
        default=None, description="yes: may receive marketing email; no: may not."
    )
    include_archived: bool = Field(default=False, description="Archived customers count too.")

    @field_validator("last_purchase_before")
    @classmethod
    def _after_the_start(cls, before: dt.date | None, info: ValidationInfo) -> dt.date | None:
        after = info.data.get("last_purchase_after")
        if before and after and after >= before:
            raise ValueError(f"Must be later than the on-or-after date ({after.isoformat()}).")
        return before

    def as_json(self) -> dict[str, Any]:
        """The stored form: only the filters that are set, dates as ISO text."""
        return self.model_dump(mode="json", exclude_defaults=True)


def parse_filters(data: dict[str, Any] | None) -> FilterSpec:
    """A FilterSpec from JSON-like data; ValidationError keyed by the field at fault."""
    try:
        return FilterSpec.model_validate(data or {})
    except PydanticValidationError as e:
        raise ValidationError(_field_errors(e)) from None


def _field_errors(e: PydanticValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in e.errors():
        loc = [str(part) for part in error.get("loc", ())]
        message = str(error.get("msg", "Invalid value")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = f"There is no filter called {loc[-1]!r}."
        field = loc[0] if loc else "__all__"
        errors.setdefault(field, []).append(message)
    return errors


def check_references(spec: FilterSpec) -> None:
    """ValidationError for ids and tag names that name nothing, on saving a segment.

    At query time a deleted tag or product simply matches nobody.
    """
    errors: dict[str, list[str]] = {}

    def missing(field: str, wanted: list, found: set, what: str) -> None:
        unknown = [str(x) for x in wanted if x not in found]
        if unknown:
            errors[field] = [f"There is no {what} {', '.join(unknown)}."]

    if spec.tags:
        found = set(Tag.objects.filter(name__in=spec.tags).values_list("name", flat=True))
        missing("tags", spec.tags, found, "tag named")
    if spec.owner:
        found = set(User.objects.filter(pk__in=spec.owner).values_list("pk", flat=True))
        missing("owner", spec.owner, found, "user with id")
    if spec.products:
        found = set(Product.objects.filter(pk__in=spec.products).values_list("pk", flat=True))
        missing("products", spec.products, found, "product with id")
    if spec.versions:
        found = set(
            ProductVersion.objects.filter(pk__in=spec.versions).values_list("pk", flat=True)
        )
        missing("versions", spec.versions, found, "product version with id")
    if errors:
        raise ValidationError(errors)


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def _birthday_in(month: int) -> Exists:
    """Customers whose own birthday (occasions keep it, from the profile sheet) is in
    `month`; indexed by (month, day)."""
    return Exists(
        Occasion.objects.filter(customer=OuterRef("pk"), kind=OccasionKind.BIRTHDAY, month=month)
    )


def customers_matching(spec: FilterSpec, *, visible_to: User | None = None) -> QuerySet[Customer]:
    """The customers `spec` selects; only those `visible_to` may see when given (a rep's
    own customers). Unordered apart from the model's default order."""
    qs = (
        customers_visible_to(visible_to)
        if visible_to is not None
        else Customer.objects.not_erased()  # never an erased customer
    )
    if not spec.include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if spec.status:
        qs = qs.filter(status__in=[str(s) for s in spec.status])
    if spec.tier:
        qs = qs.filter(tier__in=["" if t == "none" else t for t in spec.tier])
    if spec.tags:
        qs = qs.filter(
            Exists(
                Customer.tags.through.objects.filter(
                    customer=OuterRef("pk"), tag__name__in=spec.tags
                )
            )
        )
    if spec.owner:
        qs = qs.filter(owner_id__in=spec.owner)
    if spec.products or spec.versions:
        owned = Q(product_version__product_id__in=spec.products) | Q(
            product_version_id__in=spec.versions
        )
        qs = qs.filter(Exists(PurchaseLine.objects.filter(owned, customer=OuterRef("pk"))))
    tz = None
    if spec.last_purchase_after or spec.last_purchase_before or spec.birthday_this_month:
        tz = Business.get().tzinfo
    if spec.last_purchase_after:
        since = _local_midnight(spec.last_purchase_after, tz)
        qs = qs.filter(
            Exists(Purchase.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since))
        )
    if spec.last_purchase_before:
        until = _local_midnight(spec.last_purchase_before, tz)
        purchases = Purchase.objects.filter(customer=OuterRef("pk"))
        qs = qs.filter(
            Exists(purchases.filter(occurred_at__lt=until)),
            ~Exists(purchases.filter(occurred_at__gte=until)),
        )
    if spec.never_touched:
        qs = qs.filter(last_touched_at__isnull=True)
    if spec.not_touched_for_days:
        cutoff = timezone.now() - dt.timedelta(days=spec.not_touched_for_days)
        qs = qs.filter(Q(last_touched_at__isnull=True) | Q(last_touched_at__lt=cutoff))
    if spec.birthday_this_month:
        qs = qs.filter(_birthday_in(timezone.now().astimezone(tz).month))
    if spec.consent == "yes":
        qs = qs.filter(email_consent=True)
    elif spec.consent == "no":
        qs = qs.filter(email_consent=False)
    return qs
