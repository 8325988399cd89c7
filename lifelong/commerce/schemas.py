"""The API's shapes for purchases and products (django-ninja schemas).

Money is a decimal string in answers ("1249.50"); requests may send a string or a JSON
number. Times are answered in UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import WithJsonSchema

from lifelong.commerce.models import Channel
from lifelong.moments import UtcDatetime

# Inline rather than a component: ninja files enums under their class name, and the touch
# channel is also called Channel (one would overwrite the other in the document).
PurchaseChannel = Annotated[
    Channel,
    WithJsonSchema({"title": "PurchaseChannel", "type": "string", "enum": Channel.values}),
]


class ProductRef(Schema):
    id: int
    name: str
    sku: str | None


class VersionRef(Schema):
    id: int
    label: str
    product: ProductRef


class LineOut(Schema):
    id: int
    product_version: VersionRef | None
    quantity: int
    amount: Decimal


class PurchaseOut(Schema):
    id: int
    customer: int
    occurred_at: dt.datetime
    total: Decimal
    currency: str
    channel: PurchaseChannel
    reference: str
    created_at: dt.datetime
    lines: list[LineOut]

    @staticmethod
    def resolve_customer(obj: Any) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_occurred_at(obj: Any) -> dt.datetime:
        return obj.occurred_at.astimezone(dt.UTC)

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class PurchasePageOut(Schema):
    items: list[PurchaseOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next (older) page; null on the last page."
    )


class PurchaseQuery(Schema):
    cursor: str = Field("", description="next_cursor from the previous page.")
    limit: int = Field(50, ge=1, le=200)


class LineIn(Schema):
    product_version: int | None = Field(None, description="The id of a product version.")
    quantity: int = 1
    amount: Decimal = Field(description="What the line cost in all, at most two decimals.")


class PurchaseIn(Schema):
    occurred_at: UtcDatetime | None = Field(
        None, description="When, with a time zone offset. Give this or `date`."
    )
    date: dt.date | None = Field(
        None, description="The day (noon in the business's time zone). Give this or occurred_at."
    )
    total: Decimal | None = Field(
        None, description="At least 0, at most two decimals; the sum of the lines if omitted."
    )
    lines: list[LineIn] = Field(default_factory=list)
    currency: str | None = Field(None, description="ISO 4217; the business's if omitted.")
    channel: PurchaseChannel = Channel.OTHER
    reference: str = Field("", description="The order number in the system it came from.")


class VersionOut(Schema):
    id: int
    label: str
    released_on: dt.date | None
    supersedes: int | None = Field(description="The id of the version this one replaces.")
    owners: int = Field(0, description="How many customers you can see bought this version.")

    @staticmethod
    def resolve_supersedes(obj: Any) -> int | None:
        return obj.supersedes_id


class ProductOut(Schema):
    id: int
    name: str
    sku: str | None
    category: str
    created_at: dt.datetime
    versions: list[VersionOut] = Field(description="Newest first.")


class ProductIn(Schema):
    name: str
    sku: str | None = Field(None, description="Unique when given.")
    category: str = ""


class VersionIn(Schema):
    label: str
    released_on: dt.date | None = None
    supersedes: int | None = Field(
        None,
        description="The id of the version this one replaces; omitted: the product's latest "
        "version; null: none.",
    )
