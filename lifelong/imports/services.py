"""Importing customers from a Table through a Mapping, and undoing an import.

Rows are checked one by one with no database work (names, addresses, numbers, dates,
lengths), then gathered in batches. Each batch looks up its duplicates together (by
external id, then email, then phone, among the customers the importer may see) and is
written in one transaction: customers (with their keep-in-touch dates), emails, phones,
tags, profile answers, the occasions of their birthdays and anniversaries, and search
terms, by bulk inserts of plain tuples, no model instances and no signals. A row is
imported whole or not at all: every check runs before anything is written, and if a
batch still fails (another writer took an external id meanwhile), its rows are written
again one at a time, each in a savepoint, and the one that fails is reported.

Updates (on_duplicate="update") are few and go through save_customer, one savepoint a
row, so they follow every rule a change on the web follows; what they change is noted on
the ImportBatch for undo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from lifelong.accounts.models import User
from lifelong.audit import log as audit
from lifelong.bulk import TransactionGroup, bulk_session, insert_rows, new_ids
from lifelong.customers.access import customers_visible_to
from lifelong.customers.cadence import compute_due
from lifelong.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    ProfileAnswer,
    ProfileQuestion,
    SearchTerm,
    Status,
    Tag,
    sort_name_of,
)
from lifelong.customers.services import (
    ContactPoint,
    fold,
    normalise_email,
    normalise_tag,
    save_customer,
    set_answer,
)
from lifelong.imports.dates import parse_date
from lifelong.imports.mapping import (
    ON_DUPLICATE,
    TEXT_FIELDS,
    Mapping,
    label_of,
)
from lifelong.imports.models import ImportBatch
from lifelong.imports.reading import Row, Table
from lifelong.occasions.models import Occasion
from lifelong.occasions.services import OCCASION_COLUMNS, answer_occasion
from lifelong.privacy.consent import record_consent_changes
from lifelong.tabular import Rejection, runs_on

BATCH = 2000
KEEP_REJECTIONS = 1000
# Batches go into one transaction until it has been open this long. Larger transactions
# write each index page they touch once instead of once a batch (a million customers
# touch a gigabyte of random index pages), and other writers, which wait up to the
# busy timeout (5 s) for the write lock, still get it within a few seconds.
TRANSACTION_SECONDS = 2.0
# A file of at least this many characters (about 50,000 rows) is read and checked in a
# second process while this one writes, when the caller allows it (parallel=True).
PARALLEL_CHARS = 5_000_000
ANSWER_KEYS = ("birthday", "wedding_anniversary")
_LIMITS = {name: Customer._meta.get_field(name).max_length for name in TEXT_FIELDS}
_TRUE = {"true", "yes", "y", "1", "x", "ja", "opted in", "subscribed"}
_FALSE = {"false", "no", "n", "0", "nej", "opted out", "unsubscribed", ""}
# Statuses as Lifelong writes them, in words, and HubSpot's lifecycle stages.
_STATUSES = {
    "prospect": Status.PROSPECT, "customer": Status.CUSTOMER, "former": Status.FORMER,
    "former customer": Status.FORMER, "subscriber": Status.PROSPECT, "lead": Status.PROSPECT,
    "marketingqualifiedlead": Status.PROSPECT, "marketing qualified lead": Status.PROSPECT,
    "salesqualifiedlead": Status.PROSPECT, "sales qualified lead": Status.PROSPECT,
    "opportunity": Status.PROSPECT, "evangelist": Status.CUSTOMER, "other": Status.PROSPECT,
}  # fmt: skip
_GOOGLE_GROUPS = {"* mycontacts", "mycontacts", "* starred", "starred"}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    batch: ImportBatch | None = None
    # Seconds spent: "read" (reading and checking rows), "duplicates" (looking them up),
    # "insert" (customers and what they own), "search_terms", "occasions", "commit"
    # (ending each batch's transaction); for benchmarks.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        """0 when no row was rejected (skipped duplicates are no failure), 1 otherwise."""
        return 1 if self.rejected else 0


@dataclass
class UndoReport:
    deleted: int = 0  # customers the import had created
    restored: int = 0  # customers it had updated, put back


@dataclass
class _Row:
    """A row that passed every check that needs no database, with what a new customer
    made of it would store besides (worked out where the rows are checked, which may be
    a second process, so that the writing process need not)."""

    line: int
    fields: dict[str, object]  # Customer field name -> value (only those the row gives)
    emails: list[ContactPoint]
    phones: list[ContactPoint]
    tags: list[str]
    answers: dict[str, str]  # question key -> canonical PartialDate text
    owner_id: int | None  # from the owner column
    sort_name: str = ""  # sort_name_of() its names
    terms: tuple[str, ...] = ()  # what search_terms() gives
    occasions: tuple[tuple, ...] = ()  # what answer_occasion() gives for its answers


# ---------------------------------------------------------------- the import


def import_customers(
    table: Table,
    mapping: Mapping,
    *,
    by: User,
    owner: User | None = None,
    on_duplicate: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
    parallel: bool = False,
    via: str = "web",
) -> ImportReport:
    """Import every good row of `table`; report every other one by line.

    New customers belong to `owner`, else the mapping's owner, else `by`; a rep's always
    to the rep (PermissionDenied if they name anybody else). A row matching a customer
    `by` may see (external id, then email, then phone) is skipped, updated or imported as
    a new customer as `on_duplicate` (else the mapping's, else "skip") says. Nothing is
    written on a dry run, and the report is the same. `progress(n)` hears of each n rows.

    `parallel`: the caller's process is the import's own (the command line, which also
    pauses the garbage collector: lifelong.bulk.paused_gc), so a large CSV file's rows
    are read and checked in a forked second process while this one writes; a web
    server's thread should not fork. The result is the same either way.

    An import that wrote adds one event to the audit log: `by`, through `via` ("web",
    "api" or "cli"), and the import's number, whose batch lists what it did.
    """
    mapping.validate()
    job = _Import(table, mapping, by=by, owner=owner, on_duplicate=on_duplicate, dry_run=dry_run)
    job.parallel = parallel and "fork" in multiprocessing.get_all_start_methods()
    with bulk_session():
        report = job.run(progress, batch_size)
    if report.batch is not None:
        audit.record(by, "create", target=f"customers import #{report.batch.pk}", via=via)
    return report


class _Import:
    def __init__(
        self,
        table: Table,
        mapping: Mapping,
        *,
        by: User,
        owner: User | None,
        on_duplicate: str | None,
        dry_run: bool,
    ) -> None:
        self.table, self.mapping, self.by, self.dry_run = table, mapping, by, dry_run
        self.parallel = False
        self.on_duplicate = on_duplicate or mapping.on_duplicate or "skip"
        if self.on_duplicate not in ON_DUPLICATE:
            raise ValidationError(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}")
        self.date_order = mapping.date_order or table.date_order
        self.owner = self._owner(owner)
        self.report = ImportReport(dry_run=dry_run)
        self.now = timezone.now()
        self.seen_emails: dict[str, int] = {}  # address -> line, within the file
        self.seen_ids: dict[str, int] = {}  # external id -> line
        # Every active user, so that an owner column needs no query a row.
        self.users: dict[str, User] = {u.username: u for u in User.objects.filter(is_active=True)}
        self.tags: dict[str, int] = {}
        self.questions = dict(
            ProfileQuestion.objects.filter(key__in=ANSWER_KEYS).values_list("key", "pk")
        )
        self.region = settings.DEFAULT_PHONE_REGION
        self.dates: dict[str, str | ValueError] = {}  # cell -> ISO PartialDate, or why not
        self.words: dict[str, tuple[str, ...]] = {}  # name or company -> its search words
        self.timings = dict.fromkeys(
            ("read", "duplicates", "insert", "search_terms", "occasions", "commit"), 0.0
        )
        self.report.timings = self.timings
        self.occasions: dict[tuple[str, str], tuple | None] = {}  # (key, answer) -> occasion
        self._plan_columns()
        self._plan_insert()

    def _owner(self, owner: User | None) -> User:
        if owner is None and self.mapping.owner:
            owner = User.objects.filter(username=self.mapping.owner, is_active=True).first()
            if owner is None:
                raise ValidationError(f"No active user called {self.mapping.owner!r}.")
        if owner is None or owner.pk == self.by.pk:
            return self.by
        if not self.by.sees_all_customers:
            raise PermissionDenied("A rep cannot give customers to another owner.")
        if not owner.is_active:
            raise ValidationError(f"{owner.username} is not an active user.")
        return owner

    def _plan_columns(self) -> None:
        index = {c: i for i, c in enumerate(self.table.columns) if c}
        self.plan: list[tuple[str, int, int | None]] = []  # (target, column, label column)
        for column, target in self.mapping.columns.items():
            if column not in index:
                self.report.warnings.append(f"the mapping names {column!r}, which the file lacks")
                continue
            label = self.mapping.labels.get(column)
            self.plan.append((target, index[column], index.get(label) if label else None))
        # The same, with each target's kind and fixed label worked out once.
        self.steps = [
            (target, target.split(":")[0], target.split(":")[1] if ":" in target else "", i, li)
            for target, i, li in self.plan
        ]
        unmapped = self.mapping.unmapped(self.table.columns)
        if unmapped:
            names = ", ".join(repr(c) for c in unmapped)
            self.report.warnings.append(f"not imported (no field chosen): {names}")
        self.width = len(self.table.columns)

    # ------------------------------------------------------------ reading rows

    def run(self, progress: Callable[[int], None] | None, batch_size: int) -> ImportReport:
        if not self.dry_run:
            self.report.batch = ImportBatch.objects.create(
                created_by=self.by,
                created_at=self.now,
                file_name=self.table.file_name[:255],
                format=self.table.format,
                encoding=self.table.encoding,
                on_duplicate=self.on_duplicate,
            )
        started = time.perf_counter()
        batch: list[_Row] = []
        pending: list[Rejection] = []
        done = 0
        group = TransactionGroup(0 if self.dry_run else TRANSACTION_SECONDS, self.timings)
        with group:
            for checked in self._checked_rows():
                self.report.rows += 1
                parsed = self._settle(checked)
                if isinstance(parsed, Rejection):
                    pending.append(parsed)
                else:
                    batch.append(parsed)
                if len(batch) >= batch_size:
                    group.run(self._write, batch, pending)
                    batch, pending = [], []
                if progress and self.report.rows - done >= 1000:
                    progress(self.report.rows - done)
                    done = self.report.rows
            group.run(self._write, batch, pending)
        if progress and self.report.rows > done:
            progress(self.report.rows - done)
        if self.report.batch is not None:
            self._finish(self.report.batch)
        spent = sum(v for k, v in self.timings.items() if k != "read")
        self.timings["read"] = time.perf_counter() - started - spent
        return self.report

    def _checked_rows(self) -> Iterator[_Row | Rejection]:
        """Every row of the table after _check, in file order: from a second process
        for a large file (it reads and checks while this one writes), else from here."""
        if not self.parallel or self.table.text_length() < PARALLEL_CHARS:
            for row in self.table.rows():
                yield self._check(row)
            return
        context = multiprocessing.get_context("fork")
        # A pipe, written by the checking process's one thread: a Queue's feeder thread
        # there waited for the checking thread's GIL after every 64 KB written, and this
        # process waited for it, a tenth of the whole import.
        results, sending = context.Pipe(duplex=False)
        _widen(sending)
        checker = context.Process(target=self._check_all, args=(sending,), daemon=True)
        checker.start()
        sending.close()
        try:
            while True:
                if not results.poll(1):
                    if not checker.is_alive():
                        raise RuntimeError("the process checking rows stopped")
                    continue
                try:
                    chunk = results.recv()
                except EOFError:
                    raise RuntimeError("the process checking rows stopped") from None
                if chunk is None:
                    return
                if isinstance(chunk, str):
                    raise RuntimeError(f"checking rows failed: {chunk}")
                yield from chunk
        finally:
            results.close()
            if checker.is_alive():
                checker.terminate()
            checker.join()

    def _check_all(self, results: Connection) -> None:
        """In the forked process: check every row, send them on in chunks. It touches
        no database connection (the users were read before), and ends with os._exit."""
        try:
            chunk: list[_Row | Rejection] = []
            for row in self.table.rows():
                chunk.append(self._check(row))
                if len(chunk) >= 1000:
                    results.send(chunk)
                    chunk = []
            results.send(chunk)
            results.send(None)
        except Exception as e:  # the importing process raises it
            results.send(f"{type(e).__name__}: {e}")

    def _finish(self, batch: ImportBatch) -> None:
        batch.rows = self.report.rows
        batch.created_count, batch.updated_count = self.report.created, self.report.updated
        batch.skipped_count, batch.rejected_count = self.report.skipped, len(self.report.rejected)
        batch.rejections = [[r.line, r.reason] for r in self.report.rejected[:KEEP_REJECTIONS]]
        batch.finished_at = timezone.now()
        batch.save()

    def _check(self, row: Row) -> _Row | Rejection:
        """Every check of one row that needs neither the database nor the other rows
        (so that a second process may make them)."""
        if row.error:
            return Rejection(row.line, row.error)
        if len(row.cells) != self.width:
            return Rejection(
                row.line,
                f"{len(row.cells)} fields where the header has {self.width}"
                + runs_on(row.line, row.end),
            )
        problems: list[str] = []
        fields: dict[str, object] = {}
        emails: list[ContactPoint] = []
        phones: list[ContactPoint] = []
        tags: list[str] = []
        answers: dict[str, str] = {}
        notes: list[str] = []
        full_name = ""
        owner = None
        nationals: dict[str, str] = {}
        cells = row.cells
        for target, kind, fixed, i, label_i in self.steps:
            value = cells[i].strip()
            if not value:
                continue
            label = cells[label_i].strip() if label_i is not None else ""
            if kind in ("email", "phone"):
                # Several in one cell: Google joins them with " ::: ", Lifelong with "; ".
                for part in value.replace(":::", ";").split(";"):
                    if not part.strip():
                        continue
                    point_label = fixed or label_of(kind, label)
                    try:
                        if kind == "email":
                            emails.append(ContactPoint(normalise_email(part), point_label))
                        else:
                            number, national = self._phone(part)
                            phones.append(ContactPoint(number, point_label))
                            nationals[number] = national
                    except ValidationError as e:
                        problems.extend(e.messages)
            elif target == "notes":
                notes.append(value)
            elif target == "tags":
                for part in value.replace(":::", ";").replace(",", ";").split(";"):
                    name = normalise_tag(part)
                    if name and name not in _GOOGLE_GROUPS and part.strip() not in _GOOGLE_GROUPS:
                        tags.append(name.removeprefix("* "))
            elif target in ("birthday", "wedding_anniversary", "event"):
                key = target
                if target == "event":
                    if "anniversary" not in label.lower():
                        continue
                    key = "wedding_anniversary"
                when = self.dates.get(value)
                if when is None:
                    try:
                        when = parse_date(value, self.date_order).isoformat()
                    except ValueError as e:
                        when = e
                    if len(self.dates) < 100_000:
                        self.dates[value] = when
                if isinstance(when, ValueError):
                    problems.append(f"{key.replace('_', ' ')}: {when}")
                else:
                    answers[key] = when
            elif target == "full_name":
                full_name = " ".join(value.split())
            elif target == "status":
                status = _STATUSES.get(value.lower()) or _STATUSES.get(
                    value.lower().replace(" ", "")
                )
                if status is None:
                    problems.append(
                        f"status {value!r} is none of prospect, customer, former customer"
                    )
                else:
                    fields["status"] = status
            elif target == "email_consent":
                if value.lower() in _TRUE:
                    fields["email_consent"] = True
                elif value.lower() in _FALSE:
                    fields["email_consent"] = False
                else:
                    problems.append(f"email consent {value!r} is neither yes nor no")
            elif target == "owner":
                owner = self._user(value)
                if owner is None:
                    problems.append(f"no active user is called {value!r}")
                elif owner.pk != self.by.pk and not self.by.sees_all_customers:
                    problems.append("a rep cannot give a customer to another owner")
            else:  # a text field of TEXT_FIELDS
                if target not in ("street", "notes"):
                    value = " ".join(value.split())
                if len(value) > _LIMITS[target]:
                    problems.append(
                        f"{target.replace('_', ' ')} is longer than {_LIMITS[target]} characters"
                    )
                fields[target] = value
        if notes:
            fields["notes"] = "\n\n".join(notes)
        if full_name and not (fields.get("first_name") or fields.get("last_name")):
            first, _, last = full_name.rpartition(" ")
            fields["first_name"], fields["last_name"] = (first, last) if first else (last, "")
            for name in ("first_name", "last_name"):
                if len(str(fields[name])) > _LIMITS[name]:
                    problems.append(f"the name is longer than {_LIMITS[name]} characters")
        if not (fields.get("first_name") or fields.get("last_name") or fields.get("company")):
            problems.append("no name and no company")
        if problems:
            return Rejection(row.line, "; ".join(p.rstrip(".") for p in problems))
        emails = _unique(emails)
        phones = _unique(phones)
        return _Row(
            row.line, fields, emails, phones, list(dict.fromkeys(tags)), answers,
            owner.pk if owner is not None else None,
            sort_name_of(*(str(fields.get(n, "")) for n in ("first_name", "last_name", "company"))),
            self._terms(fields, emails, phones, nationals),
            tuple(
                found for key, value in answers.items()
                if key in self.questions and (found := self._occasion(key, value)) is not None
            ),
        )  # fmt: skip

    def _settle(self, checked: _Row | Rejection) -> _Row | Rejection:
        """The checks across rows, in file order: within one file, an email or external
        id twice is a mistake, unless the person asked for every row to be a new
        customer (an external id is unique all the same)."""
        if isinstance(checked, Rejection):
            return checked
        line, external_id = checked.line, checked.fields.get("external_id")
        if external_id and external_id in self.seen_ids:
            return Rejection(
                line, f"the external id {external_id!r} is on line {self.seen_ids[external_id]} too"
            )
        if self.on_duplicate != "create":
            for point in checked.emails:
                if point.value in self.seen_emails:
                    return Rejection(
                        line,
                        f"a duplicate of line {self.seen_emails[point.value]} "
                        f"(the email address {point.value})",
                    )
            for point in checked.emails:
                self.seen_emails[point.value] = line
        if external_id:
            self.seen_ids[external_id] = line  # type: ignore[index]
        return checked

    def _phone(self, raw: str) -> tuple[str, str]:
        """normalise_phone's E.164 form of `raw`, and its national number (which the
        search terms hold too); ValidationError as normalise_phone's."""
        parts = phone_parts(raw, self.region)
        if isinstance(parts, str):
            raise ValidationError(parts)
        return parts

    def _user(self, username: str) -> User | None:
        return self.users.get(username)

    # ------------------------------------------------------------ duplicates

    def _matches(self, rows: list[_Row]) -> dict[int, int | str]:
        """For each row (by line) that matches a customer: its id, or why it cannot be
        matched to one. External id first (among every customer, since it is unique),
        then email, then phone (among those `by` may see)."""
        found: dict[int, int | str] = {}
        visible = customers_visible_to(self.by)
        ids = {str(r.fields["external_id"]) for r in rows if r.fields.get("external_id")}
        by_id = {key: pks.pop() for key, pks in _owners(Customer, "external_id", ids).items()}
        seen = set(visible.filter(pk__in=by_id.values()).values_list("pk", flat=True))
        owner = None if self.by.sees_all_customers else self.by.pk
        addresses = {p.value for r in rows for p in r.emails}
        by_email = _owners(CustomerEmail, "address", addresses, owner)
        by_phone = _owners(
            CustomerPhone, "number", {p.value for r in rows for p in r.phones}, owner
        )
        for r in rows:
            external_id = r.fields.get("external_id")
            if external_id and external_id in by_id:
                pk = by_id[external_id]  # type: ignore[index]
                found[r.line] = pk if pk in seen else f"the external id {external_id!r} is taken"
                continue
            for points, index, what in (
                (r.emails, by_email, "email address"),
                (r.phones, by_phone, "phone number"),
            ):
                hits = {pk for p in points for pk in index.get(p.value, ())}
                if len(hits) == 1:
                    found[r.line] = hits.pop()
                    break
                if hits:
                    found[r.line] = (
                        f"{len(hits)} customers have its {what}; give an external id to choose"
                    )
                    break
        return found

    # ------------------------------------------------------------ writing

    def _write(self, rows: list[_Row], pending: list[Rejection]) -> None:
        rejected = list(pending)
        creates: list[_Row] = []
        updates: list[tuple[_Row, int]] = []
        started = time.perf_counter()
        matches = self._matches(rows) if rows else {}
        self.timings["duplicates"] += time.perf_counter() - started
        for row in rows:
            match = matches.get(row.line)
            if isinstance(match, str) and (self.on_duplicate != "create" or "external id" in match):
                if self.on_duplicate == "skip" and "external id" not in match:
                    self.report.skipped += 1
                else:
                    rejected.append(Rejection(row.line, match))
            elif match is None or self.on_duplicate == "create":
                if match is not None and row.fields.get("external_id"):
                    rejected.append(
                        Rejection(row.line, f"customer #{match} has this external id already")
                    )
                else:
                    creates.append(row)
            elif self.on_duplicate == "skip":
                self.report.skipped += 1
            else:
                updates.append((row, match))  # type: ignore[arg-type]
        if self.dry_run:
            self.report.created += len(creates)
            self.report.updated += len(updates)
        else:
            self._create(creates, rejected)
            for row, pk in updates:
                self._update(row, pk, rejected)
        rejected.sort(key=lambda r: r.line)
        self.report.rejected.extend(rejected)

    def _create(self, rows: list[_Row], rejected: list[Rejection]) -> None:
        if not rows:
            return
        try:
            with transaction.atomic():  # a savepoint in the group's transaction
                ids = self._insert(rows)
        except IntegrityError:
            # Somebody else took an external id or a tag name meanwhile: row by row, so
            # only the row that fails is lost.
            ids = []
            for row in rows:
                try:
                    with transaction.atomic():
                        ids += self._insert([row])
                except IntegrityError as e:
                    rejected.append(Rejection(row.line, f"could not be saved ({e})"))
        if not ids:
            return
        self.report.created += len(ids)
        batch = self.report.batch
        assert batch is not None
        batch.add_created(ids)
        ImportBatch.objects.filter(pk=batch.pk).update(created=batch.created)

    def _tag_ids(self, names: Iterable[str]) -> dict[str, int]:
        missing = {n for n in names if n not in self.tags}
        if missing:
            Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
            self.tags.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
        return self.tags

    def _plan_insert(self) -> None:
        """The columns of a customer row and the value each has unless the row sets it,
        in the database's form, worked out once for every row."""
        adapt = connection.ops.adapt_datetimefield_value
        self.now_db = adapt(self.now)
        self.columns: list[str] = []
        base: list[object] = []
        for f in Customer._meta.concrete_fields:
            if f.primary_key or (f.db_default is not models.NOT_PROVIDED and not f.has_default()):
                continue
            self.columns.append(f.column)
            if f.name in ("created_at", "updated_at"):
                base.append(self.now_db)
            else:
                base.append(f.get_db_prep_save(f.get_default(), connection))
        self.columns.insert(0, "id")
        self.base = [None, *base]
        self.at = {name: self.columns.index(name) for name in self.columns}
        for f in Customer._meta.concrete_fields:  # a field by its name (owner: owner_id)
            self.at.setdefault(f.name, self.at.get(f.column, -1))
        self.consent_source = f"imported from {self.table.file_name or 'a file'}"[:200]
        # A new customer's next contact, by status: what recompute_due would store for a
        # customer added now, never touched, with no tier yet and no override.
        self.status_default = Customer._meta.get_field("status").get_default()
        self.due = {
            status: adapt(compute_due(Customer(status=status, created_at=self.now)))
            for status in Status.values
        }

    def _insert(self, rows: list[_Row]) -> list[int]:
        """Insert `rows` as new customers with everything they own; their ids.

        Plain tuples by executemany (SQLite) or COPY (PostgreSQL): no model instances.
        """
        started = time.perf_counter()
        ids = new_ids(Customer, len(rows))
        at, base, owner_pk = self.at, self.base, self.owner.pk
        i_id, i_owner, i_sort, i_due = at["id"], at["owner_id"], at["sort_name"], at["next_due_at"]
        i_external, i_consent_at, i_source = (
            at["external_id"], at["email_consent_at"], at["email_consent_source"]
        )  # fmt: skip
        now, by = self.now_db, self.by.pk
        questions, due, status_default = self.questions, self.due, self.status_default
        tag_ids = self._tag_ids({t for row in rows for t in row.tags})
        customers, emails, phones, answers, tagged, occasions = [], [], [], [], [], []
        for pk, row in zip(ids, rows, strict=True):
            values = base.copy()
            fields = row.fields
            for name, value in fields.items():
                values[at[name]] = value
            values[i_id] = pk
            values[i_owner] = row.owner_id or owner_pk
            values[i_sort] = row.sort_name
            if not fields.get("external_id"):
                values[i_external] = None
            if fields.get("email_consent"):
                values[i_consent_at], values[i_source] = now, self.consent_source
            # Inserted without signals: the keep-in-touch date and the occasions
            # (birthday, anniversary) are written with the customer.
            values[i_due] = due[fields.get("status", status_default)]  # type: ignore[index]
            customers.append(tuple(values))
            for position, p in enumerate(row.emails):
                emails.append((pk, p.value, p.label, position))
            for position, p in enumerate(row.phones):
                phones.append((pk, p.value, p.label, position))
            for key, value in row.answers.items():
                if key in questions:
                    answers.append((pk, questions[key], value, now, by))
            for occasion in row.occasions:
                occasions.append((pk, *occasion, "", True, now, 0))
            for t in row.tags:
                tagged.append((pk, tag_ids[t]))
        insert_rows(Customer, self.columns, customers)
        insert_rows(CustomerEmail, ["customer_id", "address", "label", "position"], emails)
        insert_rows(CustomerPhone, ["customer_id", "number", "label", "position"], phones)
        insert_rows(
            ProfileAnswer,
            ["customer_id", "question_id", "value", "updated_at", "updated_by_id"],
            answers,
        )
        insert_rows(Customer.tags.through, ["customer_id", "tag_id"], tagged)
        record_consent_changes(
            [
                (pk, True)
                for pk, row in zip(ids, rows, strict=True)
                if row.fields.get("email_consent")
            ],
            how="import",
            actor=self.by,
            source=self.consent_source,
            at=self.now,
        )
        middle = time.perf_counter()
        insert_rows(Occasion, OCCASION_COLUMNS, occasions)
        terms_start = time.perf_counter()
        insert_rows(
            SearchTerm,
            ["customer_id", "term"],
            [(pk, term) for pk, row in zip(ids, rows, strict=True) for term in row.terms],
        )
        self.timings["insert"] += middle - started
        self.timings["occasions"] += terms_start - middle
        self.timings["search_terms"] += time.perf_counter() - terms_start
        return ids

    def _occasion(self, key: str, value: str) -> tuple | None:
        """answer_occasion(key, value), worked out once per distinct answer."""
        try:
            return self.occasions[(key, value)]
        except KeyError:
            if len(self.occasions) > 100_000:
                self.occasions.clear()
            found = self.occasions[(key, value)] = answer_occasion(key, value)
            return found

    def _terms(
        self,
        fields: dict[str, object],
        emails: list[ContactPoint],
        phones: list[ContactPoint],
        nationals: dict[str, str],
    ) -> tuple[str, ...]:
        """What search_terms() gives a customer of these fields, emails and phones
        (`nationals`: each phone's national number), each name and company folded once
        per import, not once per row."""
        words = self.words
        terms: set[str] = set()
        for name in ("first_name", "last_name", "nickname", "company"):
            value = fields.get(name)
            if not value:
                continue
            found = words.get(value)  # type: ignore[call-overload]
            if found is None:
                found = tuple(w for w in fold(value).split() if w)  # type: ignore[arg-type]
                if len(words) > 200_000:
                    words.clear()
                words[value] = found  # type: ignore[index]
            terms.update(found)
        for p in emails:
            terms.add(p.value.lower())
        for p in phones:
            terms.add(p.value.lstrip("+"))
            terms.add(nationals[p.value])
        return tuple({t[:254] for t in terms})

    def _update(self, row: _Row, pk: int, rejected: list[Rejection]) -> None:
        """Fill or overwrite the row's non-empty fields of customer `pk`, add its emails,
        phones and tags, and note what changed for undo."""
        customer = Customer.objects.get(pk=pk)
        change: dict = {"id": pk, "fields": {}, "emails": [], "phones": [], "tags": [],
                        "answers": {}}  # fmt: skip
        for name, value in row.fields.items():
            before = getattr(customer, name)
            if before != value:
                change["fields"][name] = [before, value]
                setattr(customer, name, value)
        if row.owner_id is not None and row.owner_id != customer.owner_id:
            change["fields"]["owner_id"] = [customer.owner_id, row.owner_id]
            customer.owner_id = row.owner_id
        emails = [ContactPoint(e.address, e.label) for e in customer.emails.all()]
        have = {e.value for e in emails}
        change["emails"] = [p.value for p in row.emails if p.value not in have]
        phones = [ContactPoint(p.number, p.label) for p in customer.phones.all()]
        have = {p.value for p in phones}
        change["phones"] = [p.value for p in row.phones if p.value not in have]
        tags = list(customer.tags.values_list("name", flat=True))
        change["tags"] = [t for t in row.tags if t not in tags]
        current = dict(
            ProfileAnswer.objects.filter(
                customer=customer, question__key__in=ANSWER_KEYS
            ).values_list("question__key", "value")
        )
        for key, value in row.answers.items():
            if current.get(key) != value and key in self.questions:
                change["answers"][key] = [current.get(key), value]
        if not any(change[k] for k in ("fields", "emails", "phones", "tags", "answers")):
            self.report.skipped += 1  # nothing new in it
            return
        try:
            with transaction.atomic():
                save_customer(
                    customer,
                    emails=emails + [p for p in row.emails if p.value in change["emails"]],
                    phones=phones + [p for p in row.phones if p.value in change["phones"]],
                    tags=tags + change["tags"] if change["tags"] else None,
                    consent_how="import",
                    consent_by=self.by,
                )
                for key, (_, value) in change["answers"].items():
                    set_answer(customer, ProfileQuestion.objects.get(key=key), value, by=self.by)
        except ValidationError as e:
            rejected.append(Rejection(row.line, "; ".join(m.rstrip(".") for m in e.messages)))
            return
        self.report.updated += 1
        batch = self.report.batch
        assert batch is not None
        batch.updated.append(_jsonable(change))
        ImportBatch.objects.filter(pk=batch.pk).update(updated=batch.updated)


@functools.lru_cache(maxsize=65_536)
def phone_parts(raw: str, region: str) -> tuple[str, str] | str:
    """(E.164 form, national number) of the phone number `raw`, national numbers read in
    `region`, from one parse by phonenumbers, which alone judges what is a valid number;
    else the reason it is none, in normalise_phone's words. Kept for numbers met again
    (a switchboard on many rows)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return f"{raw.strip()!r} is not a phone number"
    if not phonenumbers.is_valid_number(number):
        return f"{raw.strip()!r} is not a valid phone number"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, str(number.national_number)


def _widen(pipe: Connection) -> None:
    """Let `pipe` hold a few chunks of checked rows (1 MiB, Linux's most for anybody
    by default, instead of 64 KiB), so that the checking process keeps ahead while this
    one commits. Nothing happens where that cannot be done."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl  # Unix only

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def _unique(points: list[ContactPoint]) -> list[ContactPoint]:
    seen: dict[str, ContactPoint] = {}
    for p in points:
        seen.setdefault(p.value, p)
    return list(seen.values())


def _owners(
    model: type[Customer | CustomerEmail | CustomerPhone],
    column: str,
    keys: set[str],
    owner: int | None = None,
) -> dict[str, set[int]]:
    """Which customers (of `owner`, if given) have each of `keys` in `model`'s `column`.

    Raw SQL: the ORM spends most of a 2,000-value IN lookup preparing each value (three
    times what the database takes), and an import makes three such lookups a batch."""
    if not keys:
        return {}
    quote = connection.ops.quote_name
    table, key = quote(model._meta.db_table), quote(column)
    customer = "id" if model is Customer else "customer_id"
    sql = (
        f"SELECT t.{key}, t.{customer} FROM {table} t"  # noqa: S608 (names from the model)
        + (f" JOIN {quote(Customer._meta.db_table)} c ON c.id = t.customer_id" if owner else "")
        + f" WHERE t.{key} IN ({', '.join(['%s'] * len(keys))})"
        + (" AND c.owner_id = %s" if owner else "")
    )
    index: dict[str, set[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*keys, owner] if owner else list(keys))
        for value, pk in cursor.fetchall():
            index.setdefault(value, set()).add(pk)
    return index


def _jsonable(change: dict) -> dict:
    def plain(v: object) -> object:
        return v.isoformat() if isinstance(v, dt.date | dt.datetime) else v

    change["fields"] = {k: [plain(a), plain(b)] for k, (a, b) in change["fields"].items()}
    return change


# ---------------------------------------------------------------- undo


@transaction.atomic
def undo_import(batch: ImportBatch, by: User, *, via: str = "web") -> UndoReport:
    """Delete the customers `batch` created (and everything they have gained since) and
    put back what it changed on the customers it updated, where nobody has changed it
    again since. Allowed within 24 hours of the import, once; an owner or manager may
    undo anybody's import, a rep only their own.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if not by.sees_all_customers and batch.created_by_id != by.pk:
        raise PermissionDenied("Only who imported them (or an owner or manager) may undo this.")
    if batch.undone_at is not None:
        raise ValidationError("This import has been undone already.")
    if not batch.can_undo():
        raise ValidationError("An import can be undone within 24 hours only; this one is older.")
    report = UndoReport()
    ids = batch.created_ids()
    for start in range(0, len(ids), 900):
        _deleted, per_model = Customer.objects.filter(pk__in=ids[start : start + 900]).delete()
        report.deleted += per_model.get("customers.Customer", 0)
    for change in batch.updated:
        customer = Customer.objects.filter(pk=change["id"]).first()
        if customer is None:
            continue
        _revert(customer, change, by)
        report.restored += 1
    batch.undone_at, batch.undone_by = timezone.now(), by
    batch.save(update_fields=["undone_at", "undone_by"])
    audit.record(by, "delete", target=f"customers import #{batch.pk} undone", via=via)
    return report


def _revert(customer: Customer, change: dict, by: User) -> None:
    # The fields an import sets hold plain text, booleans and ids, as JSON keeps them.
    for name, (before, after) in change["fields"].items():
        if getattr(customer, name) == after:  # nobody has changed it since
            setattr(customer, name, before)
    emails = [ContactPoint(e.address, e.label) for e in customer.emails.all()
              if e.address not in change["emails"]]  # fmt: skip
    phones = [ContactPoint(p.number, p.label) for p in customer.phones.all()
              if p.number not in change["phones"]]  # fmt: skip
    tags = [t for t in customer.tags.values_list("name", flat=True) if t not in change["tags"]]
    save_customer(
        customer, emails=emails, phones=phones, tags=tags, consent_how="import", consent_by=by
    )
    for key, (before, after) in change["answers"].items():
        question = ProfileQuestion.objects.get(key=key)
        answer = ProfileAnswer.objects.filter(customer=customer, question=question).first()
        if answer is not None and answer.value == after:
            set_answer(customer, question, before or "", by=by)
