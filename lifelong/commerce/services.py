"""Recording purchases, finding and adding products, and a customer's purchase history.

Views, the API, the importer and the demo share these rules:

- Money is Decimal with at most two decimal places, never negative, never float.
- A currency is three ISO 4217 letters; the business's own currency when none is given.
- A date without a time means 12:00 in the business's time zone, so its calendar day
  survives conversion to UTC and to any zone less than 12 hours from the business's
  (noon is 12 hours from either midnight).
- A purchase with lines has the sum of its lines as its total, and every line repeats
  the purchase's customer_id (every customer-owned table carries it, for sharding).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Min, Prefetch, QuerySet, Sum
from django.utils import timezone

from lifelong.accounts.access import manages_business
from lifelong.accounts.models import Business, User
from lifelong.commerce.models import Channel, Product, ProductVersion, Purchase, PurchaseLine
from lifelong.cursors import Page, newest_first
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer

CENT = Decimal("0.01")
# Purchase.total and PurchaseLine.amount: 14 digits, 2 of them after the point.
MAX_AMOUNT = Decimal("999999999999.99")
# The version a line gets when its product is named without one (importer, forms).
UNVERSIONED = "unversioned"
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PLAIN_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
# Thousands separators people type: spaces of every width and the apostrophe (1'234.50).
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'")

# ---------------------------------------------------------------- money


def clean_amount(value: Decimal | int | str, *, what: str = "Amount") -> Decimal:
    """`value` as money: a finite Decimal ≥ 0 with at most two places; ValidationError if not.

    Floats are refused: they cannot hold most cent amounts exactly.
    """
    if isinstance(value, float | bool):
        raise ValidationError(f"{what} must be a decimal number, not a float.")
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(f"{what} {str(value).strip()!r} is not a number.") from None
    if not value.is_finite():
        raise ValidationError(f"{what} {value} is not a number.")
    if value < 0:
        raise ValidationError(f"{what} cannot be negative ({value}).")
    if value > MAX_AMOUNT:
        raise ValidationError(f"{what} {value} is too large.")
    exact = value.quantize(CENT)
    if exact != value:
        raise ValidationError(f"{what} {value} has more than two decimal places.")
    return exact


def parse_amount(raw: str, *, what: str = "Amount") -> Decimal:
    """Money typed by a person or exported by another system, as a Decimal.

    Reads "12.50", "12,50", "1 234.50", "1,234.50", "1.234,50" and "1'234.50". With both
    "." and "," the last one is the decimal point; a lone one is the decimal point
    unless three digits follow it ("1,234" is ambiguous and refused); repeated ones
    group thousands. ValidationError for anything else, or a negative amount.
    """
    shown = raw.strip()
    if _PLAIN_AMOUNT.match(shown):  # the common case, "1234.50", needs no more reading
        return clean_amount(Decimal(shown), what=what)
    text = shown.translate(_GROUPING)
    if not text:
        raise ValidationError(f"{what} is missing.")
    sign = ""
    if text[0] in "+-\u2212":
        sign, text = text[0], text[1:]
    if not re.fullmatch(r"[0-9.,]*[0-9][0-9.,]*", text):
        raise ValidationError(f"{what} {shown!r} is not a number.")
    if sign not in ("", "+") and text.strip("0.,"):
        raise ValidationError(f"{what} {shown!r} is negative.")
    last = max(text.rfind("."), text.rfind(","))
    whole, fraction = text, ""
    if last >= 0:
        mark, other = text[last], "," if text[last] == "." else "."
        if other in text or text.count(mark) == 1:
            if text.count(mark) > 1:
                raise ValidationError(f"{what} {shown!r} is not a number.")
            if other not in text and len(text) - last - 1 == 3:
                raise ValidationError(
                    f"{what} {shown!r} is ambiguous (is {mark!r} a decimal point or a "
                    "thousands separator?); write it without thousands separators."
                )
            whole, fraction = text[:last], text[last + 1 :]
    groups = re.split(r"[.,]", whole)
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        raise ValidationError(f"{what} {shown!r} is not a number.")
    number = Decimal(f"{''.join(groups) or '0'}.{fraction or '0'}")
    return clean_amount(number, what=what)


def clean_currency(raw: str | None, default: str | None = None) -> str:
    """An ISO 4217 code in capitals ("eur" is read as "EUR"); `default` (or the business's
    currency) when `raw` is blank. ValidationError if it is not three letters."""
    code = (raw or "").strip().upper()
    if not code:
        return default or Business.get().currency
    if not _CURRENCY.match(code):
        raise ValidationError(f"Currency {raw.strip()!r} is not a three-letter code such as EUR.")
    return code


# ---------------------------------------------------------------- time


def noon(day: dt.date, tz: dt.tzinfo | None = None) -> dt.datetime:
    """12:00 on `day` in `tz` (default: the business's time zone)."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz or Business.get().tzinfo)


def clean_occurred_at(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """When a purchase happened, as an aware datetime; ValidationError if after today.

    A date means noon on that day; a naive datetime is read in `tz` (default: the
    business's time zone). "Today" is the business's today, so a purchase dated today
    is accepted even while its noon is still ahead.
    """
    tz = tz or Business.get().tzinfo
    if isinstance(value, dt.datetime):
        when = value if timezone.is_aware(value) else value.replace(tzinfo=tz)
    elif isinstance(value, dt.date):
        when = noon(value, tz)
    else:
        raise ValidationError("Give a date or a date and time.")
    today = timezone.now().astimezone(tz).date()
    if when.astimezone(tz).date() > today:
        raise ValidationError(f"{when.astimezone(tz):%Y-%m-%d} is in the future.")
    return when


_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_when(raw: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """A purchase time written as text: "1997-01-01", "19970101", or an ISO datetime
    ("1997-01-01T10:30:00+01:00", "…Z"; without an offset it is read in `tz`).

    Dates mean noon in `tz` (default: the business's time zone). ValidationError for
    anything else and for days after today.
    """
    text = raw.strip()
    if not text:
        raise ValidationError("Date is missing.")
    tz = tz or Business.get().tzinfo
    value: dt.date | dt.datetime
    try:
        if m := _COMPACT_DATE.match(text):
            value = dt.date(int(m[1]), int(m[2]), int(m[3]))
        elif len(text) == 10:
            value = dt.date.fromisoformat(text)
        elif len(text) > 10 and text[10] in "Tt ":
            value = dt.datetime.fromisoformat(text)
        else:
            raise ValueError
    except ValueError:
        raise ValidationError(
            f"Date {text!r} is not a date such as 1997-01-01 or 19970101, "
            "or an ISO date and time such as 1997-01-01T10:30:00+01:00."
        ) from None
    return clean_occurred_at(value, tz)


# ---------------------------------------------------------------- purchases


@dataclass(frozen=True)
class Line:
    """A purchase line to record: what (optional), how many, and for how much in all."""

    amount: Decimal | int | str
    quantity: int = 1
    product_version: ProductVersion | None = None


def clean_quantity(value: int | str) -> int:
    """A whole number of items, at least 1; ValidationError otherwise."""
    try:
        quantity = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"Quantity {str(value).strip()!r} is not a whole number.") from None
    if quantity < 1:
        raise ValidationError(f"Quantity must be at least 1 (not {quantity}).")
    if quantity > 2_147_483_647:
        raise ValidationError(f"Quantity {quantity} is too large.")
    return quantity


_CHANNELS = frozenset(Channel.values)


def clean_channel(value: str) -> str:
    """One of Channel's values; ValidationError otherwise."""
    if value not in _CHANNELS:
        choices = ", ".join(Channel.values)
        raise ValidationError(f"{value!r} is not a channel; use one of {choices}.")
    return value


def clean_reference(value: str) -> str:
    reference = (value or "").strip()
    if len(reference) > 100:
        raise ValidationError("Keep the reference to 100 characters.")
    return reference


@transaction.atomic
def record_purchase(
    customer: Customer,
    *,
    occurred_at: dt.date | dt.datetime,
    total: Decimal | int | str | None = None,
    currency: str | None = None,
    channel: str = Channel.OTHER,
    lines: Sequence[Line] = (),
    reference: str = "",
) -> Purchase:
    """Validate and save a purchase of `customer` with its lines, in one transaction.

    Without a total the total is the sum of the lines; with both they must agree. A date
    means noon in the business's time zone. Raises ValidationError keyed by field
    ("occurred_at", "total", "currency", "channel", "reference", "lines.0.amount", …);
    nothing is written then.
    """
    business = Business.get()
    errors: dict[str, list[str]] = {}

    def check(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except ValidationError as e:
            errors.setdefault(name, []).extend(e.messages)
            return None

    when = check("occurred_at", clean_occurred_at, occurred_at, business.tzinfo)
    clean_lines: list[PurchaseLine] = []
    for i, line in enumerate(lines):
        amount = check(f"lines.{i}.amount", clean_amount, line.amount)
        quantity = check(f"lines.{i}.quantity", clean_quantity, line.quantity)
        clean_lines.append(
            PurchaseLine(
                customer=customer,
                product_version=line.product_version,
                quantity=quantity or 1,
                amount=amount or Decimal(0),
            )
        )
    line_sum = sum((line.amount for line in clean_lines), Decimal("0.00"))
    if total is None:
        if not lines:
            errors.setdefault("total", []).append("Give a total or at least one line.")
        amount_total = line_sum
    else:
        amount_total = check("total", lambda: clean_amount(total, what="Total"))
        if amount_total is not None and lines and amount_total != line_sum and not errors:
            errors.setdefault("total", []).append(
                f"The total {amount_total} is not the sum of the lines ({line_sum})."
            )
    code = check("currency", clean_currency, currency, business.currency)
    check("channel", clean_channel, channel)
    ref = check("reference", clean_reference, reference)
    if amount_total is not None and amount_total > MAX_AMOUNT:
        errors.setdefault("total", []).append("The total is too large.")
    if errors:
        raise ValidationError(errors)

    purchase = Purchase.objects.create(
        customer=customer,
        occurred_at=when,
        total=amount_total,
        currency=code,
        channel=channel,
        reference=ref,
    )
    for line in clean_lines:
        line.purchase = purchase
    PurchaseLine.objects.bulk_create(clean_lines)
    return purchase


def delete_purchase(purchase: Purchase) -> None:
    """Remove a purchase and its lines."""
    purchase.delete()


def purchases_of(customer: Customer) -> QuerySet[Purchase]:
    """The customer's purchases with their lines and what each line was, newest first."""
    lines = PurchaseLine.objects.select_related("product_version__product").order_by("id")
    return (
        Purchase.objects.filter(customer=customer)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-occurred_at", "-id")
    )


PurchasePage = Page[Purchase]


def purchase_page(customer: Customer, *, cursor: str = "", limit: int = 20) -> PurchasePage:
    """One page of the customer's purchases, newest first, after `cursor` (from a previous
    page); the purchase_customer_time index serves it. Raises BadCursor when the cursor was
    not made by this function.
    """
    return newest_first(purchases_of(customer), cursor=cursor, limit=limit)


@dataclass(frozen=True)
class Revenue:
    """What a customer spent in one currency."""

    currency: str
    count: int
    total: Decimal

    @property
    def average(self) -> Decimal:
        return (self.total / self.count).quantize(CENT) if self.count else Decimal("0.00")


@dataclass(frozen=True)
class PurchaseTotals:
    count: int
    first: dt.datetime | None
    last: dt.datetime | None
    # One entry per currency bought in, the business's currency first (amounts in
    # different currencies are never added up).
    revenue: list[Revenue] = field(default_factory=list)

    @property
    def main(self) -> Revenue | None:
        return self.revenue[0] if self.revenue else None


def purchase_totals(customer: Customer, *, currency: str | None = None) -> PurchaseTotals:
    """How many purchases, when the first and the last, and the revenue per currency.

    One GROUP BY over the customer's purchases; `currency` (default: the business's)
    is listed first.
    """
    home = currency or Business.get().currency
    rows = list(
        Purchase.objects.filter(customer=customer)
        .order_by()
        .values("currency")
        .annotate(
            n=Count("id"), total=Sum("total"), first=Min("occurred_at"), last=Max("occurred_at")
        )
    )
    if not rows:
        return PurchaseTotals(0, None, None, [])
    revenue = sorted(
        (Revenue(r["currency"], r["n"], Decimal(r["total"]).quantize(CENT)) for r in rows),
        key=lambda r: (r.currency != home, -r.count, r.currency),
    )
    return PurchaseTotals(
        count=sum(r["n"] for r in rows),
        first=min(r["first"] for r in rows),
        last=max(r["last"] for r in rows),
        revenue=revenue,
    )


# ---------------------------------------------------------------- products


def may_edit_products(user: User) -> bool:
    """Owners and managers change the catalogue; everybody may read it."""
    return manages_business(user)


def _errors_of(e: ValidationError) -> dict[str, list[str]]:
    return e.message_dict if hasattr(e, "error_dict") else {"__all__": e.messages}


def _save(instance: Product | ProductVersion) -> None:
    try:
        instance.full_clean()
    except ValidationError as e:
        raise ValidationError(_errors_of(e)) from None
    instance.save()


@transaction.atomic
def save_product(product: Product) -> Product:
    """Validate and save a new or edited product; a blank SKU is no SKU.

    ValidationError keyed by field (a SKU another product has is refused).
    """
    product.name = " ".join(product.name.split())
    product.sku = (product.sku or "").strip() or None
    product.category = " ".join(product.category.split())
    _save(product)
    return product


def add_product(*, name: str, sku: str = "", category: str = "") -> Product:
    return save_product(Product(name=name, sku=sku, category=category))


def latest_version(product: Product) -> ProductVersion | None:
    """The newest version: the latest release date, undated ones last; then the newest id."""
    return (
        product.versions.order_by(F("released_on").desc(nulls_last=True), "-id").first()
        if product.pk
        else None
    )


class _Latest:
    def __repr__(self) -> str:
        return "LATEST"


# Pass as `supersedes` to mean "the product's latest version" (the default).
LATEST = _Latest()


@transaction.atomic
def save_version(
    version: ProductVersion, *, supersedes: ProductVersion | _Latest | None = LATEST
) -> ProductVersion:
    """Validate and save a product version; `supersedes` must be another version of the
    same product and may not make a loop. LATEST (the default) means the product's
    latest version for a new version, and no change for an existing one.
    ValidationError keyed by field.
    """
    version.label = " ".join(version.label.split())
    if isinstance(supersedes, _Latest):
        supersedes = latest_version(version.product) if version.pk is None else version.supersedes
    errors: dict[str, list[str]] = {}
    if supersedes is not None:
        if supersedes.product_id != version.product_id:
            errors["supersedes"] = ["Choose a version of the same product."]
        elif version.pk is not None:
            seen, step = set(), supersedes
            while step is not None and step.pk not in seen:
                if step.pk == version.pk:
                    errors["supersedes"] = ["A version cannot supersede itself or a later one."]
                    break
                seen.add(step.pk)
                step = step.supersedes
    version.supersedes = supersedes
    try:
        version.full_clean()
    except ValidationError as e:
        for name, messages in _errors_of(e).items():
            for message in messages:
                if name == "__all__" and "already exists" in message:
                    # The unique (product, label) constraint: say it of the label.
                    name, message = "label", "This product already has a version so labelled."
                errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    version.save()
    return version


def add_version(
    product: Product,
    *,
    label: str,
    released_on: dt.date | None = None,
    supersedes: ProductVersion | _Latest | None = LATEST,
) -> ProductVersion:
    """A new version of `product`; by default it supersedes the product's latest version."""
    return save_version(
        ProductVersion(product=product, label=label, released_on=released_on),
        supersedes=supersedes,
    )


def find_product(*, sku: str = "", name: str = "") -> Product | None:
    """The product with this SKU; failing that, the one product called `name` (any case)
    that has no other SKU. None when there is none; ValidationError when the name fits
    several products.
    """
    sku, name = sku.strip(), " ".join(name.split())
    if sku:
        product = Product.objects.filter(sku=sku).first()
        if product is not None:
            return product
    if not name:
        return None
    named = Product.objects.filter(name__iexact=name)
    if sku:
        named = named.filter(sku__isnull=True)
    found = list(named[:2])
    if len(found) > 1:
        raise ValidationError(f"Several products are called {name!r}; give the SKU.")
    return found[0] if found else None


def find_or_create_product(*, sku: str = "", name: str = "", category: str = "") -> Product:
    """find_product, or a new product with that SKU and name (the SKU names it if no name)."""
    product = find_product(sku=sku, name=name)
    if product is None:
        if not (sku.strip() or name.strip()):
            raise ValidationError("Give a product name or a SKU.")
        product = add_product(name=name.strip() or sku.strip(), sku=sku, category=category)
    return product


def find_version(product: Product, label: str) -> ProductVersion | None:
    """The version of `product` labelled `label` (exactly, after trimming spaces)."""
    label = " ".join(label.split()) or UNVERSIONED
    return product.versions.filter(label=label).first()


def find_or_create_version(product: Product, label: str) -> ProductVersion:
    """The version labelled `label`, made if missing (supersedes nothing: the order of
    versions met in an import is not known). A blank label is UNVERSIONED."""
    version = find_version(product, label)
    if version is None:
        label = " ".join(label.split()) or UNVERSIONED
        version = save_version(ProductVersion(product=product, label=label), supersedes=None)
    return version


@dataclass
class ProductRow:
    product: Product
    versions: list[ProductVersion]  # each with .owners: customers (seen) who bought it


def product_catalogue(user: User) -> list[ProductRow]:
    """Every product with its versions, newest first, and for each version the number of
    customers `user` may see who bought it."""
    lines = PurchaseLine.objects.filter(product_version__isnull=False)
    if not user.sees_all_customers:
        lines = lines.filter(customer__in=customers_visible_to(user))
    owners = dict(
        lines.order_by()
        .values("product_version")
        .annotate(n=Count("customer", distinct=True))
        .values_list("product_version", "n")
    )
    by_product: dict[int, list[ProductVersion]] = {}
    versions = ProductVersion.objects.select_related("supersedes").order_by(
        F("released_on").desc(nulls_last=True), "-id"
    )
    for v in versions:
        v.owners = owners.get(v.pk, 0)
        by_product.setdefault(v.product_id, []).append(v)
    return [ProductRow(p, by_product.get(p.pk, [])) for p in Product.objects.all()]


def version_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Every version grouped by product name, newest first, for a menu."""
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    versions = ProductVersion.objects.select_related("product").order_by(
        "product__name", "product_id", F("released_on").desc(nulls_last=True), "-id"
    )
    for v in versions:
        groups.setdefault(v.product_id, (v.product.name, []))[1].append(
            (v.pk, f"{v.product.name} · {v.label}")
        )
    return list(groups.values())
