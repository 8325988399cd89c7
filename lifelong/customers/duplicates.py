"""Possible duplicates, and merging two customer records into one.

possible_duplicates() finds pairs of customers that are probably one person. Each rule
is one set-based query that groups customers by a key (the folded name and company, an
email address, a phone number, an email's local part, …) and returns only the keys that
two to MAX_GROUP customers share; pairs are made inside those small groups, so the work
grows with the table, never with its square. A pair a person dismissed (NotDuplicate)
does not come back.

merge_customers() moves every record of one customer onto another in one transaction
and deletes the emptied record. Every relation that points at Customer must have a
handler in MERGE_HANDLERS: merge refuses to run (MergeNotSupported) while one does not,
so a feature added later cannot lose data on merge without a failing test saying so.
Apps may add their own handler with register_merge_handler().
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, CharField, Count, F, Max, QuerySet, Value, When, Window
from django.db.models.functions import Concat, Left, Length, Replace, StrIndex, Substr
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.cursors import BadCursor, decode_cursor, encode_cursor
from lifelong.customers import services
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    NotDuplicate,
    ProfileAnswer,
    Relative,
    Status,
)

# A key shared by more customers than this is a placeholder address, a shared office
# number or a common name, not one person: the group is left out.
MAX_GROUP = 10
# Local parts this short, or that name a role rather than a person, say nothing alone.
MIN_LOCAL = 5
ROLE_LOCALS = frozenset(
    [
        "info", "contact", "hello", "sales", "admin", "office", "kontakt", "support",
        "service", "booking", "orders", "billing", "invoice", "invoices", "faktura",
        "noreply", "no-reply", "webmaster", "enquiries", "reception",
    ]
)  # fmt: skip

# Reasons, strongest first: the order of the list.
SAME_EMAIL, SAME_PHONE, SAME_NAME, SIMILAR_EMAIL = 0, 1, 2, 3


# ---------------------------------------------------------------- folding in SQL


def _fold_table() -> tuple[str, str]:
    """The Latin letters that services.fold turns into one other letter, for translate()."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        char = chr(code)
        folded = services.fold(char)
        if len(folded) == 1 and folded != char.lower():
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


_FOLD_FROM, _FOLD_TO = _fold_table()


class Folded(models.Func):
    """services.fold in SQL: a registered Python function on SQLite, lower() and
    translate() over the Latin letters on PostgreSQL (the same result for Latin names)."""

    function = "lifelong_fold"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # translate() only where there is something to translate: most names are ASCII.
        folded = f"CASE WHEN ({sql}) ~ '^[ -~]*$' THEN lower({sql}) "
        folded += f"ELSE translate(lower({sql}), %s, %s) END"
        return folded, (*params, *params, *params, _FOLD_FROM, _FOLD_TO)


def _fold_sql(text: str | None) -> str | None:
    """services.fold for SQLite; plain ASCII (most names) takes the quick way."""
    if text is None:
        return None
    return text.lower() if text.isascii() else services.fold(text)


def _prepare_connection() -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("lifelong_fold", 1, _fold_sql, deterministic=True)


# ---------------------------------------------------------------- finding pairs


@dataclass
class DuplicatePair:
    """Two customers that are probably one person, and why (strongest reason first)."""

    a: Customer  # the lower id
    b: Customer
    reasons: list[str]
    strength: int = 0  # the strongest rule that matched: lower is surer

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def people(self) -> tuple[Customer, Customer]:
        return (self.a, self.b)


@dataclass
class DuplicatePage:
    items: list[DuplicatePair]
    next_cursor: str | None


def _groups(qs: QuerySet, key: models.Expression, *extra: str) -> list[tuple]:
    """(key, customer_id, *extra) for the rows of `qs` whose key 2..MAX_GROUP rows share."""
    keyed = qs.order_by().annotate(k=key).exclude(k="")
    counted = keyed.annotate(n=Window(Count("pk"), partition_by=[F("k")]))
    rows = counted.filter(n__gte=2, n__lte=MAX_GROUP)
    return list(rows.values_list("k", "customer_id", *extra))


def _local(address: str = "address") -> models.Expression:
    return Left(address, StrIndex(address, Value("@")) - 1)


def _domain(address: str = "address") -> models.Expression:
    return Substr(address, StrIndex(address, Value("@")) + 1)


def _one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter added, dropped, changed, or two neighbours swapped.
    A differing digit does not count: anna.berg1 and anna.berg2 are usually two people."""
    if [c for c in a if c.isdigit()] != [c for c in b if c.isdigit()]:
        return False
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    )


def _edit_groups(emails: QuerySet[CustomerEmail]) -> list[tuple]:
    """Addresses at one domain whose local parts may be one edit apart, by the deletion
    neighbourhood: two strings one edit apart share a string with one letter (or none)
    dropped from each. Worked one domain at a time in memory (a handful of variants per
    address, hashed); the candidates are checked with _one_edit afterwards."""
    by_domain: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for customer_id, address in (
        emails.order_by().values_list("customer_id", "address").iterator(chunk_size=20000)
    ):
        local, _, domain = address.rpartition("@")
        if len(local) >= MIN_LOCAL:
            by_domain[domain].append((customer_id, local))
    rows: list[tuple] = []
    for domain, people in by_domain.items():
        if len(people) < 2:
            continue
        groups: dict[int, list[int]] = defaultdict(list)
        for n, (_, local) in enumerate(people):
            # Only letters are dropped: a pair differing in a digit is not a typo (_one_edit).
            variants = {local} | {
                local[:i] + local[i + 1 :] for i in range(len(local)) if not local[i].isdigit()
            }
            for variant in variants:
                groups[hash(variant)].append(n)
        for members in groups.values():
            if 2 <= len(members) <= MAX_GROUP:
                key = f"{domain}|{people[members[0]][1]}"
                rows.extend((key, people[n][0], f"{people[n][1]}@{domain}") for n in members)
        del groups
    return rows


def _restricts(customers: QuerySet[Customer]) -> bool:
    """Whether `customers` is less than every customer (a rep's own, a filter)."""
    return bool(customers.query.where) or customers.query.is_sliced


def candidate_pairs(customers: QuerySet[Customer]) -> dict[tuple[int, int], dict[int, list[str]]]:
    """Every pair (lower id, higher id) among `customers` that a rule matches, with the
    reasons by rule. Dismissed pairs are still in; possible_duplicates leaves them out."""
    _prepare_connection()
    found: dict[tuple[int, int], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    visible = customers.order_by().values("pk")
    emails = CustomerEmail.objects.filter(customer__in=visible) if _restricts(customers) else (
        CustomerEmail.objects.all()
    )  # fmt: skip
    phones = CustomerPhone.objects.filter(customer__in=visible) if _restricts(customers) else (
        CustomerPhone.objects.all()
    )  # fmt: skip

    def add(a: int, b: int, rule: int, text: str) -> None:
        if a != b:
            reasons = found[(min(a, b), max(a, b))][rule]
            if text not in reasons:
                reasons.append(text)

    def pairs_in(rows: Iterable[tuple]) -> Iterable[tuple[tuple, tuple]]:
        by_key: dict[str, list[tuple]] = defaultdict(list)
        for row in rows:
            by_key[row[0]].append(row)
        for members in by_key.values():
            yield from combinations(members, 2)

    for (address, a), (_, b) in pairs_in(_groups(emails, F("address"))):
        add(a, b, SAME_EMAIL, f"same email {address}")
    for (number, a), (_, b) in pairs_in(_groups(phones, F("number"))):
        add(a, b, SAME_PHONE, f"same phone {number}")

    name_key = Folded(
        Concat(
            "first_name", Value("|"), "last_name", Value("|"), "company",
            output_field=CharField(),
        )
    )  # fmt: skip
    people = customers.annotate(customer_id=F("pk"))
    for (key, a), (_, b) in pairs_in(_groups(people, name_key)):
        has_name, company = key.rsplit("|", 1)[0] != "|", key.rsplit("|", 1)[1]
        if has_name and company:
            text = "same name and company"
        elif has_name:
            text = "same name, no company on either"
        else:
            text = "same company, no name on either"
        add(a, b, SAME_NAME, text)

    def similar(rows: Iterable[tuple], check: Callable[[str, str], bool] | None = None) -> None:
        for (_, a, x), (_, b, y) in pairs_in(rows):
            if x != y and (check is None or check(x, y)):
                add(a, b, SIMILAR_EMAIL, f"similar emails {min(x, y)} and {max(x, y)}")

    # The same mailbox written two ways: dots and +tags in the local part.
    local = _local()
    untagged = Case(
        When(address__contains="+", then=Left(local, StrIndex(local, Value("+")) - 1)),
        default=local,
    )
    canonical = Concat(Replace(untagged, Value("."), Value("")), Value("@"), _domain())
    similar(_groups(emails, canonical, "address"))
    # The same local part at another domain (a work and a home address).
    personal = (
        emails.annotate(local_len=Length(local), local_part=local)
        .filter(local_len__gte=MIN_LOCAL)
        .exclude(local_part__in=ROLE_LOCALS)
    )
    similar(
        _groups(personal, local, "address"),
        lambda x, y: x.split("@")[1] != y.split("@")[1],
    )
    # One typo at the same domain.
    similar(
        _edit_groups(emails),
        lambda x, y: _one_edit(x.split("@")[0], y.split("@")[0]),
    )
    return found


def possible_duplicates(
    customers: QuerySet[Customer], limit: int = 50, cursor: str = ""
) -> DuplicatePage:
    """A page of the pairs among `customers` that are probably one person, surest first
    and, among equals, the newest record first. `cursor` is the previous page's
    next_cursor; BadCursor for one not made here. Pairs a person dismissed are left out."""
    after: tuple[int, int, int] | None = None
    if cursor:
        values = decode_cursor(cursor, 3)
        if not all(isinstance(v, int) for v in values):
            raise BadCursor
        after = (values[0], values[1], values[2])
    found = candidate_pairs(customers)
    dismissed = _dismissed(found)

    def order(pair: tuple[int, int]) -> tuple[int, int, int]:
        return (min(found[pair]), -pair[1], -pair[0])

    ranked = sorted((p for p in found if p not in dismissed), key=order)
    if after is not None:
        ranked = [p for p in ranked if order(p) > after]
    page, more = ranked[:limit], len(ranked) > limit
    people = (
        Customer.objects.select_related("owner")
        .prefetch_related("emails", "phones")
        .in_bulk({pk for p in page for pk in p})
    )
    items = []
    for a, b in page:
        if a in people and b in people:
            reasons = [t for rule in sorted(found[(a, b)]) for t in found[(a, b)][rule]]
            items.append(DuplicatePair(people[a], people[b], reasons, min(found[(a, b)])))
    next_cursor = encode_cursor(list(order(page[-1]))) if more and page else None
    return DuplicatePage(items, next_cursor)


def _dismissed(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    firsts = sorted({a for a, _ in pairs})
    dismissed: set[tuple[int, int]] = set()
    for start in range(0, len(firsts), 500):
        rows = NotDuplicate.objects.filter(a_id__in=firsts[start : start + 500])
        dismissed.update(rows.values_list("a_id", "b_id"))
    return dismissed


def pair_reasons(a: Customer, b: Customer) -> list[str]:
    """Why `a` and `b` look like one person (empty if no rule matches them)."""
    found = candidate_pairs(Customer.objects.filter(pk__in=[a.pk, b.pk]))
    reasons = found.get((min(a.pk, b.pk), max(a.pk, b.pk)), {})
    return [t for rule in sorted(reasons) for t in reasons[rule]]


def dismiss_pair(a: Customer, b: Customer, *, by: User | None) -> NotDuplicate:
    """Remember that `a` and `b` are different people: the pair is not suggested again."""
    if a.pk == b.pk:
        raise ValidationError("A customer is always the same person as themselves.")
    low, high = sorted([a.pk, b.pk])
    dismissal, _ = NotDuplicate.objects.get_or_create(a_id=low, b_id=high, defaults={"by": by})
    return dismissal


# ---------------------------------------------------------------- merging


class MergeNotSupported(ImproperlyConfigured):
    """A relation points at Customer that merge_customers has no handler for."""


@dataclass
class Merge:
    """One merge under way: `keep` receives, `other` goes; `notes` are appended to keep."""

    keep: Customer
    other: Customer
    by: User | None
    notes: list[str] = field(default_factory=list)


Handler = Callable[[Merge], None]
# "app_label.Model.field" of every relation to Customer -> what merge does with it.
MERGE_HANDLERS: dict[str, Handler] = {}
_ORDER: list[str] = []


def register_merge_handler(label: str, handler: Handler) -> None:
    """Tell merge_customers how to move the rows of relation `label` ("app.Model.field")
    from merge.other to merge.keep. Handlers run in the order registered."""
    if label not in MERGE_HANDLERS:
        _ORDER.append(label)
    MERGE_HANDLERS[label] = handler


def customer_relations() -> list[str]:
    """The "app_label.Model.field" of every relation that points at Customer."""
    labels = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and rel.is_relation:
            if rel.many_to_many:
                continue  # Customer.tags is Customer's own field; nothing else is M2M to it
            labels.append(f"{rel.related_model._meta.label}.{rel.field.name}")
    return sorted(set(labels))


def unhandled_relations() -> list[str]:
    return [label for label in customer_relations() if label not in MERGE_HANDLERS]


def _model(label: str) -> type[models.Model]:
    app_label, name, _ = label.split(".")
    return apps.get_model(app_label, name)


def _rows(label: str, customer: Customer) -> QuerySet:
    app_label, name, field_name = label.split(".")
    return apps.get_model(app_label, name).objects.filter(**{f"{field_name}_id": customer.pk})


def _move(label: str) -> Handler:
    """The plain handler: every row of other now belongs to keep."""

    def handler(m: Merge) -> None:
        field_name = label.split(".")[2]
        _rows(label, m.other).update(**{f"{field_name}_id": m.keep.pk})

    return handler


def _drop(label: str) -> Handler:
    """For derived rows rebuilt from keep afterwards (the search index)."""

    def handler(m: Merge) -> None:
        _rows(label, m.other).delete()

    return handler


def _contact_points(model: type[CustomerEmail] | type[CustomerPhone], key: str) -> Handler:
    """Other's addresses or numbers that keep lacks, after keep's (keep's primary stays)."""

    def handler(m: Merge) -> None:
        have = set(model.objects.filter(customer=m.keep).values_list(key, flat=True))
        last = model.objects.filter(customer=m.keep).aggregate(p=Max("position"))["p"]
        position = -1 if last is None else last
        for point in model.objects.filter(customer=m.other).order_by("position", "id"):
            if getattr(point, key) in have:
                point.delete()
                continue
            position += 1
            model.objects.filter(pk=point.pk).update(customer=m.keep, position=position)

    return handler


def _answers(m: Merge) -> None:
    """keep's answer wins a conflict; a different answer of other's goes into the notes."""
    mine = {a.question_id: a for a in ProfileAnswer.objects.filter(customer=m.keep)}
    for answer in ProfileAnswer.objects.filter(customer=m.other).select_related("question"):
        current = mine.get(answer.question_id)
        if current is None:
            ProfileAnswer.objects.filter(pk=answer.pk).update(customer=m.keep)
            continue
        if not current.value.strip():
            current.value = answer.value
            current.save(update_fields=["value"])
        elif current.value != answer.value:
            shown = services.display_answer(answer.question, answer.value)
            m.notes.append(f"{answer.question.text}: {shown}")
        # Deleted one by one so the occasions app hears of it (it forgets other's date).
        answer.delete()


def _relatives(m: Merge) -> None:
    """Relatives move, with their birthday occasions (and what was done about them)."""
    occasion = apps.get_model("occasions", "Occasion")
    ids = list(Relative.objects.filter(customer=m.other).values_list("pk", flat=True))
    Relative.objects.filter(pk__in=ids).update(customer=m.keep)
    occasion.objects.filter(relative_id__in=ids).update(customer_id=m.keep.pk)


def _occasions(m: Merge) -> None:
    """Dates people added move. Derived ones (birthday, anniversary, customer since) are
    rebuilt from the merged sources afterwards; other's one moves when keep has none of
    that kind, so its marks survive, else its marks join keep's occasion."""
    occasion = apps.get_model("occasions", "Occasion")
    mark = apps.get_model("occasions", "OccasionMark")
    rows = occasion.objects.filter(customer_id=m.other.pk)
    rows.filter(derived=False).update(customer_id=m.keep.pk)
    for theirs in rows.filter(derived=True, relative__isnull=True):
        ours = occasion.objects.filter(
            customer_id=m.keep.pk, kind=theirs.kind, derived=True, relative__isnull=True
        ).first()
        if ours is None:
            occasion.objects.filter(pk=theirs.pk).update(customer_id=m.keep.pk)
            continue
        taken = set(mark.objects.filter(occasion=ours).values_list("on", flat=True))
        mark.objects.filter(occasion=theirs).exclude(on__in=taken).update(occasion=ours)
        theirs.delete()


def _occurrences(label: str, group: str, precious: Callable[[QuerySet], QuerySet]) -> Handler:
    """Rows keyed (group, customer, occurrence) — outreach messages, survey links — move to
    keep; on a clash the precious one (sent, answered) stays, and when both are, other's is
    kept under a marked occurrence."""
    app_label, model_name = label.split(".")

    def handler(m: Merge) -> None:
        model = apps.get_model(app_label, model_name)
        both = model.objects.filter(customer_id__in=[m.keep.pk, m.other.pk])
        kept = set(precious(both).values_list("pk", flat=True))
        group_id = f"{group}_id"
        mine = {
            (getattr(row, group_id), row.occurrence): row
            for row in model.objects.filter(customer_id=m.keep.pk)
        }
        for theirs in model.objects.filter(customer_id=m.other.pk):
            ours = mine.get((getattr(theirs, group_id), theirs.occurrence))
            occurrence = theirs.occurrence
            if ours is not None:
                if theirs.pk not in kept:
                    theirs.delete()
                    continue
                if ours.pk in kept:
                    occurrence = f"{theirs.occurrence[:40]}~merged-{m.other.pk}"[:60]
                else:
                    ours.delete()
            model.objects.filter(pk=theirs.pk).update(customer_id=m.keep.pk, occurrence=occurrence)

    return handler


_messages = _occurrences(
    "outreach.Message", "program", lambda qs: qs.filter(status__in=("sent", "sending"))
)
_survey_invitations = _occurrences(
    "surveys.Invitation", "survey", lambda qs: qs.filter(response__isnull=False)
)


def _value_snapshot(m: Merge) -> None:
    """keep's snapshot stays until the next value refresh recomputes it from the merged
    purchases; a keep without one takes other's (and its tier) in the meantime."""
    snapshot = apps.get_model("value", "ValueSnapshot")
    if snapshot.objects.filter(customer_id=m.keep.pk).exists():
        snapshot.objects.filter(customer_id=m.other.pk).delete()
        return
    if snapshot.objects.filter(customer_id=m.other.pk).update(customer_id=m.keep.pk):
        m.keep.tier, m.keep.value_rank = m.other.tier, m.other.value_rank
        Customer.objects.filter(pk=m.keep.pk).update(tier=m.keep.tier, value_rank=m.keep.value_rank)


def _unique_by(label: str, *key: str) -> Handler:
    """Move rows unless keep has one with the same `key` values (keep's wins)."""

    def handler(m: Merge) -> None:
        field_name = label.split(".")[2]
        have = set(_rows(label, m.keep).values_list(*key))
        for row in _rows(label, m.other):
            if tuple(getattr(row, k) for k in key) in have:
                row.delete()
            else:
                type(row).objects.filter(pk=row.pk).update(**{f"{field_name}_id": m.keep.pk})

    return handler


def _referrals_given(m: Merge) -> None:
    """People other referred are now keep's referrals (after _referral_of)."""
    referral = apps.get_model("referrals", "Referral")
    referral.objects.filter(referrer_id=m.other.pk).update(referrer_id=m.keep.pk)
    # A move that closes a loop (keep is below somebody other referred) is dropped.
    chain = set(_chain(m.keep.pk))
    for row in referral.objects.filter(referrer_id=m.keep.pk, referred_id__in=chain):
        m.notes.append(f"Referred customer #{row.referred_id} (dropped: it made a loop)")
        row.delete()
        Customer.objects.filter(pk=row.referred_id).update(referred_by=None)


def _chain(customer_id: int) -> list[int]:
    referral = apps.get_model("referrals", "Referral")
    chain, seen, current = [], {customer_id}, customer_id
    while True:
        parent = referral.objects.filter(referred_id=current).values_list("referrer_id", flat=True)
        up = parent.first()
        if up is None or up in seen:
            return chain
        chain.append(up)
        seen.add(up)
        current = up


def _referral_of(m: Merge) -> None:
    """keep's own referral stays; without one, other's becomes keep's (not if it loops).
    A referral between the two themselves goes: one person cannot refer themselves."""
    referral = apps.get_model("referrals", "Referral")
    pair = [m.keep.pk, m.other.pk]
    referral.objects.filter(referrer_id__in=pair, referred_id__in=pair).delete()
    theirs = referral.objects.filter(referred_id=m.other.pk).first()
    if theirs is None:
        return
    if referral.objects.filter(referred_id=m.keep.pk).exists():
        theirs.delete()
    elif theirs.referrer_id in _chain_below(m.keep.pk) | _chain_below(m.other.pk):
        m.notes.append(f"Referred by customer #{theirs.referrer_id} (dropped: it made a loop)")
        theirs.delete()
    else:
        referral.objects.filter(pk=theirs.pk).update(referred_id=m.keep.pk)


def _chain_below(customer_id: int) -> set[int]:
    """Everybody `customer_id` referred, directly or down the line."""
    referral = apps.get_model("referrals", "Referral")
    below, frontier = set(), {customer_id}
    while frontier:
        found = set(
            referral.objects.filter(referrer_id__in=frontier).values_list("referred_id", flat=True)
        )
        frontier = found - below - {customer_id}
        below |= frontier
    return below


def _referred_by(m: Merge) -> None:
    """Customer.referred_by mirrors the referral records: customers other referred point
    at keep; keep's own pointer follows its referral (set after _referral_of)."""
    Customer.objects.filter(referred_by=m.other).exclude(pk=m.keep.pk).update(referred_by=m.keep)


def _not_duplicates(m: Merge) -> None:
    """Other "is not X" also says "keep is not X"; the pair (keep, other) itself goes."""
    for label in ("a", "b"):
        for row in NotDuplicate.objects.filter(**{f"{label}_id": m.other.pk}):
            partner = row.b_id if label == "a" else row.a_id
            if partner != m.keep.pk:
                low, high = sorted([partner, m.keep.pk])
                NotDuplicate.objects.get_or_create(a_id=low, b_id=high, defaults={"by": row.by})
            row.delete()


def _register_defaults() -> None:
    # Order matters: contact points before the search index; occasions before the
    # answers and relatives that derive them; referrals before the referred_by mirror.
    for label, handler in [
        ("customers.CustomerEmail.customer", _contact_points(CustomerEmail, "address")),
        ("customers.CustomerPhone.customer", _contact_points(CustomerPhone, "number")),
        ("customers.SearchTerm.customer", _drop("customers.SearchTerm.customer")),
        ("occasions.Occasion.customer", _occasions),
        ("customers.ProfileAnswer.customer", _answers),
        ("customers.Relative.customer", _relatives),
        ("customers.NotDuplicate.a", _not_duplicates),
        ("customers.NotDuplicate.b", lambda m: None),  # done with .a
        ("customers.Customer_tags.customer", lambda m: None),  # the union, in _fields
        ("touches.Touch.customer", _move("touches.Touch.customer")),
        ("commerce.Purchase.customer", _move("commerce.Purchase.customer")),
        ("commerce.PurchaseLine.customer", _move("commerce.PurchaseLine.customer")),
        ("outreach.Message.customer", _messages),
        ("value.ValueSnapshot.customer", _value_snapshot),
        ("value.AliveHistory.customer", _unique_by("value.AliveHistory.customer", "month")),
        ("referrals.Referral.referred", _referral_of),
        ("referrals.Referral.referrer", _referrals_given),
        ("customers.Customer.referred_by", _referred_by),
        ("referrals.ReferralAsk.customer", _move("referrals.ReferralAsk.customer")),
        ("referrals.AgendaMark.customer", _unique_by("referrals.AgendaMark.customer", "key")),
        # surveys: answered invitations win; responses follow their customer.
        ("surveys.Invitation.customer", _survey_invitations),
        ("surveys.Response.customer", _move("surveys.Response.customer")),
    ]:
        register_merge_handler(label, handler)


_register_defaults()


# What happens to each of Customer's own fields (FILLED: keep's value unless empty).
FILLED_FIELDS = (
    "first_name", "last_name", "nickname", "company", "job_title", "street", "postal_code",
    "city", "region", "country", "external_id", "contact_every_days",
)  # fmt: skip
# Handled one by one in _fields (or kept, or recomputed): see docs/duplicates.md.
SPECIAL_FIELDS = (
    "id", "owner", "status", "how_we_met", "notes", "referred_by", "tags", "email_consent",
    "email_consent_at", "email_consent_source", "became_customer_on", "created_at",
    "updated_at", "archived_at", "erased_at", "last_touched_at", "contact_snoozed_until",
    "next_due_at", "tier", "value_rank", "sort_name",
)  # fmt: skip
_STATUS_RANK = {Status.CUSTOMER: 2, Status.FORMER: 1, Status.PROSPECT: 0}


def unhandled_fields() -> list[str]:
    """Customer's own fields merge does not know what to do with (a test keeps it empty)."""
    known = set(FILLED_FIELDS) | set(SPECIAL_FIELDS)
    return [f.name for f in Customer._meta.get_fields() if f.concrete and f.name not in known]


def _fields(keep: Customer, other: Customer) -> None:
    """Fill keep's empty fields from other, never overwriting (in memory; saved later)."""
    for name in FILLED_FIELDS:
        if getattr(keep, name) in ("", None) and getattr(other, name) not in ("", None):
            setattr(keep, name, getattr(other, name))
    if _STATUS_RANK.get(other.status, 0) > _STATUS_RANK.get(keep.status, 0):
        keep.status = other.status
    if not keep.how_we_met.strip():
        keep.how_we_met = other.how_we_met
    # Consent given on either record was given by this person.
    if other.email_consent and not keep.email_consent:
        keep.email_consent = True
        keep.email_consent_at = other.email_consent_at
        keep.email_consent_source = other.email_consent_source
    dates = [d for d in (keep.became_customer_on, other.became_customer_on) if d]
    keep.became_customer_on = min(dates) if dates else None
    keep.created_at = min(keep.created_at, other.created_at)
    if other.archived_at is None:
        keep.archived_at = None  # one of the two was in use: the person is active
    keep.tags.add(*other.tags.all())


def _other_notes(m: Merge, when: dt.datetime) -> str:
    other = m.other
    by = f" by {m.by.display_name}" if m.by else ""
    lines = [f"Merged with customer #{other.pk} ({other.display_name}) on {when:%Y-%m-%d}{by}."]
    if other.how_we_met.strip() and other.how_we_met.strip() != m.keep.how_we_met.strip():
        lines.append(f"How we met: {other.how_we_met.strip()}")
    if m.notes:
        lines.append("Kept from the merged record:")
        lines.extend(f"- {line}" for line in m.notes)
    if other.notes.strip():
        lines.append(other.notes.strip())
    return "\n".join(lines)


@dataclass(frozen=True)
class MergeCounts:
    """How many records of a customer a merge moves, by kind, for the page and message."""

    counts: dict[str, int]

    @property
    def parts(self) -> list[str]:
        """["3 touches", "1 purchase", …]"""
        return [f"{n} {name if n != 1 else SINGULAR[name]}" for name, n in self.counts.items()]

    @property
    def summary(self) -> str:
        return ", ".join(self.parts) if self.parts else "no records"


SINGULAR = {
    "touches": "touch", "purchases": "purchase", "relatives": "relative", "answers": "answer",
    "emails": "email", "phones": "phone", "occasions": "occasion", "messages": "message",
    "referrals": "referral", "tags": "tag",
}  # fmt: skip


def what_moves(other: Customer) -> MergeCounts:
    """The records of `other` that a merge carries over (those it has, by kind)."""
    kinds: list[tuple[str, QuerySet]] = [
        ("touches", _rows("touches.Touch.customer", other)),
        ("purchases", _rows("commerce.Purchase.customer", other)),
        ("relatives", Relative.objects.filter(customer=other)),
        ("answers", ProfileAnswer.objects.filter(customer=other)),
        ("emails", CustomerEmail.objects.filter(customer=other)),
        ("phones", CustomerPhone.objects.filter(customer=other)),
        ("occasions", _rows("occasions.Occasion.customer", other).filter(derived=False)),
        ("messages", _rows("outreach.Message.customer", other)),
        ("referrals", _rows("referrals.Referral.referrer", other)),
    ]
    counts = {name: qs.count() for name, qs in kinds}
    counts["tags"] = other.tags.count()
    return MergeCounts({k: v for k, v in counts.items() if v})


@transaction.atomic
def merge_customers(keep: Customer, other: Customer, *, by: User | None) -> Customer:
    """Move every record of `other` onto `keep`, fill keep's empty fields from other's,
    append other's notes, and delete `other`; returns keep, saved and re-indexed.

    PermissionDenied unless `by` may see both; ValidationError for a customer merged with
    themselves; MergeNotSupported while a relation to Customer has no handler.
    """
    missing = unhandled_relations() + unhandled_fields()
    if missing:
        raise MergeNotSupported(f"merge_customers does not know how to merge: {missing}")
    if keep.pk == other.pk:
        raise ValidationError("A customer cannot be merged with themselves.")
    if by is not None and customers_visible_to(by).filter(pk__in=[keep.pk, other.pk]).count() != 2:
        raise PermissionDenied("You may merge only customers you can see.")
    # Lock both rows (lower id first, so two merges cannot deadlock) and read them fresh.
    locked = Customer.objects.select_for_update().filter(pk__in=[keep.pk, other.pk]).order_by("pk")
    rows = {c.pk: c for c in locked}
    if len(rows) != 2:
        raise ValidationError("One of the customers no longer exists.")
    keep, other = rows[keep.pk], rows[other.pk]
    now = timezone.now()
    merge = Merge(keep, other, by)
    for label in _ORDER:
        try:
            _model(label)
        except LookupError:
            continue  # an optional app that is not installed
        MERGE_HANDLERS[label](merge)
    _fields(keep, other)
    keep.notes = "\n\n".join(p for p in [keep.notes.strip(), _other_notes(merge, now)] if p)
    keep.referred_by_id = (
        _rows("referrals.Referral.referred", keep).values_list("referrer_id", flat=True).first()
    )
    keep.last_touched_at = _rows("touches.Touch.customer", keep).aggregate(m=Max("occurred_at"))[
        "m"
    ]
    other.delete()
    # validates, re-indexes search, recomputes next_due_at, notes a consent taken over
    services.save_customer(keep, consent_how="merge", consent_by=by)
    from lifelong.occasions.services import sync_occasions  # occasions sits above customers

    sync_occasions(Customer.objects.filter(pk=keep.pk))
    return keep
