"""Products, their versions, and what each customer bought."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from lifelong.customers.models import Customer

currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR.")


class Product(models.Model):
    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=100, null=True, blank=True, unique=True)
    category = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ProductVersion(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    label = models.CharField(max_length=100)
    released_on = models.DateField(null=True, blank=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )

    class Meta:
        ordering = ["product", "released_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "label"], name="unique_product_version")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.label}"


class Channel(models.TextChoices):
    STORE = "store", "In store"
    ONLINE = "online", "Online"
    PHONE = "phone", "By phone"
    FIELD = "field", "Sales visit"
    OTHER = "other", "Other"


class Purchase(models.Model):
    """An order: one customer, one moment, one total (the sum of its lines when it has lines)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="purchases", db_index=False
    )
    occurred_at = models.DateTimeField()
    total = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.OTHER)
    reference = models.CharField(
        max_length=100, blank=True, help_text="The order number in the system it came from."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # The per-customer summary (x, t_x, T, spend) is a GROUP BY over this index.
            models.Index(fields=["customer", "occurred_at"], name="purchase_customer_time"),
            models.Index(fields=["occurred_at"], name="purchase_time"),
        ]

    def __str__(self) -> str:
        return f"{self.total} {self.currency} on {self.occurred_at:%Y-%m-%d}"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    # Repeated from the purchase so every customer-owned table can be sharded by customer.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    product_version = models.ForeignKey(
        ProductVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
    )
    quantity = models.PositiveIntegerField(default=1)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        indexes = [models.Index(fields=["product_version", "customer"], name="line_version")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_version}"


class UpgradeOffer(models.Model):
    """A special price on `version` for the customers whose latest purchase of its product
    is an older version (commerce/upgrades.py), sent as the messages of `program`."""

    version = models.ForeignKey(ProductVersion, on_delete=models.CASCADE, related_name="offers")
    price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    expires_on = models.DateField(help_text="The last day the offer holds.")
    program = models.ForeignKey(
        "outreach.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version}: {self.price} until {self.expires_on}"
