"""Erasure: a customer's personal data removed, the anonymised row kept for the figures.

erase_customer() anonymises the Customer row in place (erased_at set; every personal
field cleared) and applies, to every relation that points at Customer, the policy
registered for it here:

- "delete": the rows go (emails, phones, answers, relatives, occasions, …);
- "keep": the rows stay as they are (purchases, value snapshots: numbers and dates);
- a callable(queryset): scrubs the rows' content and keeps the rest (a touch keeps its
  channel and date, a message its status and dates, a survey response its score).

erase_customer refuses to run (ErasureNotSupported) while a relation has no policy, and a
test fails, so a feature added later cannot keep a person's data after erasure unnoticed.
Apps register a policy for their own models with register_erasure() in ready().
Every address the customer had goes onto the suppression list as a hash only, with the
reason "erased", so no later import or send can reach them again (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.customers.duplicates import customer_relations
from lifelong.customers.models import Customer

Policy = str | Callable[[QuerySet], object]
DELETE, KEEP = "delete", "keep"
ERASED_TEXT = "an erased customer"

# "app_label.Model.field" of a relation to Customer -> what erasure does with its rows.
ERASURE_POLICIES: dict[str, Policy] = {}


class ErasureNotSupported(ImproperlyConfigured):
    """A relation to Customer has no erasure policy."""


def register_erasure(target: type[models.Model] | str, policy: Policy) -> None:
    """Say what erasure does with the rows of `target` that belong to the erased customer:
    "delete", "keep", or a callable given their queryset that scrubs them. `target` is a
    relation label ("app.Model.field") or a model (every relation of it to Customer)."""
    if not (policy in (DELETE, KEEP) or callable(policy)):
        raise ValueError(f"An erasure policy is 'delete', 'keep' or a callable, not {policy!r}")
    if isinstance(target, str):
        labels = [target]
    else:
        prefix = f"{target._meta.label}."
        labels = [label for label in customer_relations() if label.startswith(prefix)]
        if not labels:
            raise ValueError(f"{target._meta.label} has no relation to Customer")
    for label in labels:
        ERASURE_POLICIES[label] = policy


def unhandled_relations() -> list[str]:
    """Relations to Customer without an erasure policy (a test keeps this empty)."""
    return [label for label in customer_relations() if label not in ERASURE_POLICIES]


def _rows(label: str, customer_id: int) -> QuerySet:
    app_label, name, field_name = label.split(".")
    model = apps.get_model(app_label, name)
    column = model._meta.get_field(field_name).attname
    return model._base_manager.filter(**{column: customer_id})


# ---------------------------------------------------------------- scrubbing policies


def blank(*names: str, **values: object) -> Callable[[QuerySet], int]:
    """A policy that empties the text fields `names` (and sets `values`) on the rows."""

    def scrub(qs: QuerySet) -> int:
        return qs.update(**dict.fromkeys(names, ""), **values)

    scrub.__doc__ = f"blank {', '.join(names)}"
    return scrub


# A greeting's occurrence key names the occasion and its date ("birthday:self:2030-08-19"),
# and so does the Message-ID made from it; a program run's is a plain date or time.
_OCCASION_KEY = r"^[a-z_]+:"


def _messages(qs: QuerySet) -> None:
    from lifelong.outreach.models import MessageStatus

    for pk in qs.filter(occurrence__regex=_OCCASION_KEY).values_list("pk", flat=True):
        qs.model._base_manager.filter(pk=pk).update(
            occurrence=f"erased-{pk}", message_id=f"<erased.{pk}@lifelong.invalid>"
        )

    # Not yet sent: never to be sent now (the worker also skips an erased customer).
    qs.filter(status__in=[MessageStatus.DRAFT, MessageStatus.QUEUED, MessageStatus.SENDING]).update(
        status=MessageStatus.SKIPPED, claimed_by="", claimed_at=None
    )
    qs.update(
        to_address="",
        subject="",
        body_text="",
        body_html="",
        calendar="",
        last_error="",
        updated_at=timezone.now(),
    )


def _survey_responses(qs: QuerySet) -> None:
    # Scores stay (NPS over time); the free text goes, also in the follow-up answers.
    for response in qs.only("pk", "answers"):
        answers = response.answers if isinstance(response.answers, list) else []
        kept = [
            {**a, "answer": "" if isinstance(a.get("answer"), str) else a.get("answer")}
            for a in answers
            if isinstance(a, dict)
        ]
        type(response)._base_manager.filter(pk=response.pk).update(answers=kept, comment="")


def _close_survey_links(qs: QuerySet) -> None:
    # Kept for the figures, but their answer link stops working: no new answers.
    qs.filter(expires_at__gt=timezone.now()).update(expires_at=timezone.now())


def _close_rsvp_links(qs: QuerySet) -> None:
    # Kept for the head counts; a new random token makes the RSVP link in their email dead.
    from lifelong.events.models import new_token

    for pk in qs.values_list("pk", flat=True):
        qs.model._base_manager.filter(pk=pk).update(token=new_token())


def _tag_links(qs: QuerySet) -> None:
    # A tag nobody else has left is probably about this person ("anna-golf"): it goes too.
    tag_ids = list(qs.values_list("tag_id", flat=True))
    qs.delete()
    Tag = qs.model._meta.get_field("tag").related_model
    Tag.objects.filter(pk__in=tag_ids, customers__isnull=True).delete()


def _register_defaults() -> None:
    for label, policy in [
        # Contact points, the profile and everything derived from them.
        ("customers.CustomerEmail.customer", DELETE),
        ("customers.CustomerPhone.customer", DELETE),
        ("customers.SearchTerm.customer", DELETE),
        ("customers.Customer_tags.customer", _tag_links),
        ("customers.ProfileAnswer.customer", DELETE),
        ("customers.Relative.customer", DELETE),
        ("customers.NotDuplicate.a", DELETE),
        ("customers.NotDuplicate.b", DELETE),
        # Customers this one referred keep their link (referral figures).
        ("customers.Customer.referred_by", KEEP),
        ("occasions.Occasion.customer", DELETE),  # and their calendar marks with them
        # The contact log keeps its kind, direction and date (coverage, cadence figures).
        ("touches.Touch.customer", blank("summary", "outcome")),
        ("outreach.Message.customer", _messages),
        # Purchases are numbers, dates and products: the value models need them.
        ("commerce.Purchase.customer", KEEP),
        ("commerce.PurchaseLine.customer", KEEP),
        ("value.ValueSnapshot.customer", KEEP),
        ("value.AliveHistory.customer", KEEP),
        ("value.RiskScore.customer", DELETE),
        ("value.RiskMark.customer", DELETE),
        ("promises.Promise.customer", blank("what", "broken_reason")),
        ("surveys.Invitation.customer", _close_survey_links),
        ("surveys.Response.customer", _survey_responses),
        ("referrals.Referral.referrer", blank("note")),
        ("referrals.Referral.referred", blank("note")),
        ("referrals.ReferralAsk.customer", blank("note")),
        ("referrals.AgendaMark.customer", DELETE),
        ("extras.ExtraGiven.customer", blank("note")),
        ("extras.ExtraSuggestion.customer", DELETE),
        ("events.Invitation.customer", _close_rsvp_links),
        ("privacy.ConsentChange.customer", DELETE),
        ("privacy.RetentionReview.customer", DELETE),
    ]:
        register_erasure(label, policy)


_register_defaults()


# ---------------------------------------------------------------- the customer's own row

# Cleared on erasure (to "" or None, or False for consent).
ERASED_FIELDS = (
    "first_name", "last_name", "nickname", "company", "job_title", "street", "postal_code",
    "city", "region", "country", "how_we_met", "notes", "external_id", "email_consent",
    "email_consent_at", "email_consent_source", "contact_every_days",
    "contact_snoozed_until", "next_due_at", "sort_name",
)  # fmt: skip
# Kept: no person in them, and the figures need them (docs/privacy.md says why).
KEPT_FIELDS = (
    "id", "status", "owner", "referred_by", "tags", "became_customer_on", "created_at",
    "updated_at", "archived_at", "erased_at", "last_touched_at", "tier", "value_rank",
)  # fmt: skip


def unhandled_fields() -> list[str]:
    """Customer's own fields erasure neither clears nor keeps on purpose (kept empty)."""
    known = set(ERASED_FIELDS) | set(KEPT_FIELDS)
    return [f.name for f in Customer._meta.get_fields() if f.concrete and f.name not in known]


def _cleared(name: str) -> object:
    f = Customer._meta.get_field(name)
    if isinstance(f, models.BooleanField):
        return False
    return None if f.null else ""


# ---------------------------------------------------------------- erase


@dataclass
class ErasureReport:
    customer_id: int
    erased_at: dt.datetime
    deleted: dict[str, int] = field(default_factory=dict)
    scrubbed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    suppressed: int = 0


class AlreadyErased(Exception):
    pass


@transaction.atomic
def erase_customer(
    customer: Customer, *, by: User | None, via: str = "web", ip: str = ""
) -> ErasureReport:
    """Erase `customer`'s personal data (see the module's docstring); AlreadyErased if done.

    The caller checks who may (privacy.views / the CLI); the audit trail gets an "erase".
    """
    missing = unhandled_relations()
    if missing:
        raise ErasureNotSupported(
            "No erasure policy for " + ", ".join(missing) + ": register one with "
            "lifelong.privacy.erasure.register_erasure()."
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise AlreadyErased(f"Customer #{customer.pk} was erased on {customer.erased_at:%Y-%m-%d}.")
    now = timezone.now()
    report = ErasureReport(customer.pk, now)
    names = [n for n in (customer.full_name, customer.company) if n]
    addresses = _addresses(customer)

    # Mentions of them elsewhere that the code itself wrote (before the rows go).
    _scrub_mentions(customer, names)
    _scrub_imports(customer.pk)
    _scrub_admin_log(customer.pk)

    for label in customer_relations():
        policy = ERASURE_POLICIES[label]
        rows = _rows(label, customer.pk)
        if policy == KEEP:
            report.kept.append(label)
        elif policy == DELETE:
            _count, per_model = rows.delete()
            for model_label, n in per_model.items():
                if n:
                    report.deleted[model_label] = report.deleted.get(model_label, 0) + n
        else:
            policy(rows)
            report.scrubbed.append(label)

    cleared = {name: _cleared(name) for name in ERASED_FIELDS}
    Customer.objects.filter(pk=customer.pk).update(**cleared, erased_at=now, updated_at=now)
    report.suppressed = _suppress(addresses)

    from lifelong.audit.log import record

    record(by, "erase", customer_id=customer.pk, target="privacy erase", via=via, ip=ip)
    return report


def _addresses(customer: Customer) -> set[str]:
    """Every address they had: on the record now, and those their messages went to."""
    from lifelong.outreach.models import Message

    now = set(customer.emails.values_list("address", flat=True))
    sent = Message.objects.filter(customer=customer).exclude(to_address="")
    return {a.strip().lower() for a in now | set(sent.values_list("to_address", flat=True))}


def _suppress(addresses: set[str]) -> int:
    """Each address onto the suppression list as its hash only, reason "erased"."""
    from lifelong.outreach.compliance import address_hash
    from lifelong.outreach.models import Suppression, SuppressionReason

    for address in addresses:
        key = address_hash(address)
        note = "Erased on request"
        updated = Suppression.objects.filter(address_hash=key).update(
            address="", reason=SuppressionReason.ERASED, note=note
        )
        if not updated:
            Suppression.objects.create(
                address_hash=key, address="", reason=SuppressionReason.ERASED, note=note
            )
    return len(addresses)


def _replace_names(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, ERASED_TEXT)
    return text


def _scrub_mentions(customer: Customer, names: list[str]) -> None:
    """Texts Lifelong itself wrote about this customer on the records of the customers
    they referred or were referred by ("Introduced by Anna Berg.", "Thanked for
    introducing Anna Berg"): the name becomes "an erased customer". Free text people typed
    on other records is theirs to edit; docs/privacy.md says so."""
    if not names:
        return
    from lifelong.referrals.models import Referral
    from lifelong.touches.models import Touch

    others = set(Customer.objects.filter(referred_by=customer).values_list("pk", flat=True))
    others |= set(Referral.objects.filter(referrer=customer).values_list("referred_id", flat=True))
    others |= set(Referral.objects.filter(referred=customer).values_list("referrer_id", flat=True))
    if customer.referred_by_id:
        others.add(customer.referred_by_id)
    others.discard(customer.pk)
    for other in Customer.objects.filter(pk__in=others).only("pk", "how_we_met"):
        text = _replace_names(other.how_we_met, names)
        if text != other.how_we_met:
            Customer.objects.filter(pk=other.pk).update(how_we_met=text)
    for touch in Touch.objects.filter(customer_id__in=others).only("pk", "summary", "outcome"):
        summary = _replace_names(touch.summary, names)
        outcome = _replace_names(touch.outcome, names)
        if (summary, outcome) != (touch.summary, touch.outcome):
            Touch.objects.filter(pk=touch.pk).update(summary=summary, outcome=outcome)


def _scrub_imports(customer_id: int) -> None:
    """An import batch keeps, for undo, what it changed on each customer it updated (the
    values before and after): this customer's entry goes (their undo is then a no-op)."""
    from lifelong.imports.models import ImportBatch

    for batch in ImportBatch.objects.exclude(updated=[]).only("pk", "updated"):
        kept = [
            c for c in batch.updated if not (isinstance(c, dict) and c.get("id") == customer_id)
        ]
        if len(kept) != len(batch.updated):
            ImportBatch.objects.filter(pk=batch.pk).update(updated=kept)


def _scrub_admin_log(customer_id: int) -> None:
    """The Django admin's log names the record it changed ("Anna Berg")."""
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer_id)
    ).update(object_repr=f"Customer #{customer_id}", change_message="")
