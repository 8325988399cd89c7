"""Customers, their contact points, tags, profile sheet and relatives."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from lifelong.customers.partial_dates import PartialDateField


class Status(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    FORMER = "former", "Former customer"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet):
    def not_erased(self) -> "CustomerQuerySet":
        """Everyone but the erased (lifelong.privacy): whom a list, a pick or a send may
        ever show. The erased stay as anonymous rows only for the figures."""
        return self.filter(erased_at__isnull=True)


class Customer(models.Model):
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CUSTOMER)
    # No index of its own: the owner_* keys below begin with it (and customer_touched_key
    # with last_touched_at). lifelong/tests/test_schema.py says why.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customers",
        db_index=False,
    )  # fmt: skip
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    street = models.CharField("street address", max_length=300, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)

    how_we_met = models.TextField(blank=True)
    referred_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_made"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    notes = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=100, null=True, blank=True, unique=True,
        help_text="The customer's id in another system; unique when set.",
    )  # fmt: skip

    email_consent = models.BooleanField("may receive marketing email", default=False)
    email_consent_at = models.DateTimeField(null=True, blank=True)
    email_consent_source = models.CharField(
        "how consent was given", max_length=200, blank=True,
        help_text="For example: signed form, web sign-up, said yes on a call.",
    )  # fmt: skip

    became_customer_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Set when the person's data was erased (lifelong/privacy/erasure.py): the row stays,
    # anonymised, so that purchase histories still count in the value models; it is
    # hidden from every list, search, segment, agenda and send.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_touched_at = models.DateTimeField(null=True, blank=True)

    # Keep in touch (customers/cadence.py keeps these true).
    contact_every_days = models.PositiveSmallIntegerField(
        "contact at least every (days)", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Leave empty to follow the tier's policy. Nobody waits more than 30 days.",
    )  # fmt: skip
    contact_snoozed_until = models.DateTimeField(null=True, blank=True, editable=False)
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Mirrors of the value snapshot (value.services.refresh_values writes them), here so
    # that the agenda, segments and cadence filter and sort on one indexed table.
    tier = models.CharField(max_length=1, blank=True, default="", db_default="", editable=False)
    value_rank = models.PositiveSmallIntegerField(
        default=0, db_default=0, editable=False,
        help_text="Decile of projected two-year value: 10 is the top tenth, 0 no value yet.",
    )  # fmt: skip

    # Lower-case "last first", the list's sort order; kept by services.save_customer.
    sort_name = models.CharField(max_length=210, editable=False, default="")

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "id"]
        indexes = [
            # Keyset pagination: each list order has an index that ends in id.
            models.Index(fields=["sort_name", "id"], name="customer_name_key"),
            models.Index(fields=["owner", "sort_name", "id"], name="customer_owner_name_key"),
            models.Index(fields=["status", "sort_name", "id"], name="customer_status_name_key"),
            models.Index(fields=["last_touched_at", "id"], name="customer_touched_key"),
            models.Index(
                fields=["owner", "last_touched_at", "id"], name="customer_owner_touched_key"
            ),
            # The agenda's order: most valuable first, then the longest overdue.
            models.Index(fields=["-value_rank", "next_due_at", "id"], name="customer_due_key"),
            models.Index(
                fields=["owner", "-value_rank", "next_due_at", "id"],
                name="customer_owner_due_key",
            ),
            models.Index(fields=["next_due_at"], name="customer_next_due"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return self.full_name or self.company or f"Customer #{self.pk}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def compute_sort_name(self) -> str:
        return sort_name_of(self.first_name, self.last_name, self.company)


def sort_name_of(first_name: str, last_name: str, company: str) -> str:
    """The list's sort key of a customer of these names: "last first", lower-cased, or
    the company's name for a company alone."""
    return f"{last_name} {first_name}".strip().lower() or company.lower()


class EmailLabel(models.TextChoices):
    HOME = "home", "Home"
    WORK = "work", "Work"
    OTHER = "other", "Other"


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    WORK = "work", "Work"
    OTHER = "other", "Other"


class CustomerEmail(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="emails", db_index=False
    )  # indexed first in unique_customer_email
    address = models.EmailField(max_length=254)
    label = models.CharField(max_length=10, choices=EmailLabel.choices, default=EmailLabel.HOME)
    position = models.PositiveSmallIntegerField(default=0)  # 0 is the primary address

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "address"], name="unique_customer_email")
        ]
        indexes = [models.Index(fields=["address"], name="customer_email_address")]

    def __str__(self) -> str:
        return self.address


class CustomerPhone(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="phones", db_index=False
    )  # indexed first in unique_customer_phone
    number = models.CharField(max_length=20, help_text="E.164, such as +46701234567")
    label = models.CharField(max_length=10, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="unique_customer_phone")
        ]
        indexes = [models.Index(fields=["number"], name="customer_phone_number")]

    def __str__(self) -> str:
        return self.number


class SearchTerm(models.Model):
    """One searchable word of a customer (name, company, email, phone digits), lower-cased.

    Search is a prefix match on `term`, which one index serves at any size.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=254)

    class Meta:
        indexes = [
            models.Index(
                fields=["term", "customer"],
                name="search_term_prefix",
                # PostgreSQL uses this index for LIKE 'prefix%' only with the pattern opclass.
                opclasses=["varchar_pattern_ops", ""],
            )
        ]

    def __str__(self) -> str:
        return self.term


class Section(models.TextChoices):
    PERSONAL = "personal", "Personal"
    FAMILY = "family", "Family"
    EDUCATION = "education", "Education"
    CAREER = "career", "Career"
    INTERESTS = "interests", "Interests"
    LIFESTYLE = "lifestyle", "Lifestyle"
    GOALS = "goals", "Goals and concerns"
    RELATIONSHIP = "relationship", "Our relationship"


class AnswerKind(models.TextChoices):
    TEXT = "text", "Text"
    DATE = "date", "Date (year optional)"
    NUMBER = "number", "Number"
    CHOICE = "choice", "Choice"


class ProfileQuestion(models.Model):
    section = models.CharField(max_length=20, choices=Section.choices)
    key = models.SlugField(max_length=60, unique=True)
    text = models.CharField(max_length=200)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=AnswerKind.choices, default=AnswerKind.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text="The options of a choice.")
    position = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class ProfileAnswer(models.Model):
    """An answer in canonical text: dates as PartialDate ISO, numbers as decimal text."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="answers", db_index=False
    )  # indexed first in unique_answer
    question = models.ForeignKey(ProfileQuestion, on_delete=models.CASCADE, related_name="answers")
    value = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "question"], name="unique_answer")
        ]

    def __str__(self) -> str:
        return self.value


class Relationship(models.TextChoices):
    PARTNER = "partner", "Partner"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    PARENT = "parent", "Parent"
    SIBLING = "sibling", "Sibling"
    GRANDCHILD = "grandchild", "Grandchild"
    OTHER = "other", "Other"


class Relative(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relatives")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    birthday = PartialDateField(null=True, blank=True, help_text="YYYY-MM-DD, or --MM-DD")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["relationship", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


class NotDuplicate(models.Model):
    """Two customers a person said are different people, so the possible-duplicates list
    (customers/duplicates.py) leaves the pair out. Stored once, the lower id as `a`."""

    a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["a", "b"], name="unique_not_duplicate"),
            models.CheckConstraint(
                condition=models.Q(a__lt=models.F("b")), name="not_duplicate_a_lt_b"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.a_id} is not {self.b_id}"
