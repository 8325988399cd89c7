"""Users with a role, the business's own identity, and per-user API tokens."""

import datetime as dt
import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    OWNER = "owner", "Owner"  # everything: users, settings, all customers
    MANAGER = "manager", "Manager"  # all customers
    REP = "rep", "Rep"  # only the customers they own


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REP)
    signature = models.TextField(blank=True, help_text="Closes the emails sent in your name.")

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def sees_all_customers(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER) or self.is_superuser

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER or self.is_superuser


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/Stockholm.")


class Business(models.Model):
    """The business's own identity: one row, used in email footers and for local time."""

    name = models.CharField(max_length=200, default="My business")
    sender_name = models.CharField(
        max_length=200, blank=True, help_text="The From name when no person signs."
    )
    sender_email = models.EmailField(blank=True)
    postal_address = models.TextField(
        blank=True, help_text="Marketing emails must carry it in their footer."
    )
    time_zone = models.CharField(
        max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR.")],
        help_text="Amounts without a currency of their own are in this one.",
    )

    class Meta:
        verbose_name_plural = "business"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get(cls) -> "Business":
        business, _ = cls.objects.get_or_create(pk=1)
        return business

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The business's date at `now` (default: now): what "today" means to its people."""
        return (now or timezone.now()).astimezone(self.tzinfo).date()

    def start_of(self, day: dt.date) -> dt.datetime:
        """The aware moment `day` begins in the business's time zone."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tzinfo)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the raw value is shown once."""

    PREFIX = "ll_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_raw(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(models.Model):
    """One failed sign-in: the name typed (lower-cased, whether or not such a user exists)
    and where it came from. Read by lifelong.accounts.throttle; rows older than its longest
    window are pruned as new ones are written."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64, help_text="An IPv4 address or an IPv6 /64 network.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["username", "ip", "at"], name="loginfailure_user_ip_at"),
            models.Index(fields=["ip", "at"], name="loginfailure_ip_at"),
            models.Index(fields=["username", "at"], name="loginfailure_user_at"),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M}"
