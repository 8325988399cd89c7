"""Importing purchases from CSV: one purchase per row, every bad row reported by line.

The file is read twice: once as bytes, to refuse a file that is not UTF-8 before
anything is written and to count its lines for the progress bar, then as CSV. Rows are
parsed and checked one by one; a row that passes every check joins a batch, and each
batch is resolved (customers in bulk, products from a cache) and written by executemany
on SQLite and COPY on PostgreSQL (several times faster than bulk_create); batches share a
transaction until it has been open TRANSACTION_SECONDS (lifelong.bulk.TransactionGroup),
so that ten million rows do not write each index page ten thousand times. A row is
written whole (its purchase and its line) or not at all; the rows around a rejected one
are still imported.

Line numbers are physical lines of the file, the header being line 1, so a quoted
field that spans lines moves the numbers of the rows after it as an editor shows them.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from lifelong.accounts.models import Business, Role, User
from lifelong.bulk import TransactionGroup, bulk_session, insert_rows, new_ids
from lifelong.commerce import services
from lifelong.commerce.models import Channel, Product, ProductVersion, Purchase, PurchaseLine
from lifelong.customers.models import Customer, CustomerEmail
from lifelong.customers.services import save_customer
from lifelong.tabular import (
    Rejection,
    UnusableFile,
    csv_records,
    delimiter_for,
    first_line,
    runs_on,
)

REQUIRED = ("customer", "date", "amount")
OPTIONAL = ("currency", "product", "sku", "version", "quantity", "channel", "reference")
BATCH = 10000
_CHUNK = 1 << 20
TRANSACTION_SECONDS = 2.0  # see lifelong.bulk.TransactionGroup
_DATES_KEPT = 500_000  # distinct date texts parsed and kept (a file of minutes has millions)


@dataclass
class ImportReport:
    rows: int = 0  # data rows read (blank lines are not rows)
    imported: int = 0
    skipped: int = 0  # rows whose customer already had a purchase with that reference
    customers_created: int = 0
    products_created: int = 0
    versions_created: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False

    @property
    def exit_status(self) -> int:
        """0 when every row was imported (or skipped as already imported), 1 otherwise."""
        return 1 if self.rejected else 0


@dataclass
class _Row:
    """A row that passed every check that needs no database."""

    line: int
    key: str
    when: dt.datetime
    amount: Decimal
    currency: str
    channel: str
    reference: str
    quantity: int | None
    sku: str
    product: str
    version: str

    @property
    def has_line(self) -> bool:
        return bool(self.sku or self.product or self.version or self.quantity)


_MISSING = object()


class PurchaseImport:
    """One import of one file. `check()` reads the header (UnusableFile if it cannot be
    imported), `run()` imports the rows."""

    def __init__(
        self,
        path: str | Path,
        *,
        create_customers: bool = False,
        owner: User | None = None,
        dry_run: bool = False,
        delimiter: str = "auto",
        batch_size: int = BATCH,
    ) -> None:
        self.path = Path(path)
        self.create_customers = create_customers
        self.owner = owner
        self.dry_run = dry_run
        self.delimiter = delimiter
        self.batch_size = batch_size
        self.columns: dict[str, int] = {}
        self.width = 0
        self.warnings: list[str] = []
        self.lines = 0  # physical lines in the file, the header included
        self._checked = False

    # ------------------------------------------------------------ the file and its header

    def check(self) -> None:
        """Make sure the file is UTF-8 CSV with the required columns; note the unused ones.

        Raises UnusableFile with a sentence saying what is wrong.
        """
        if self.create_customers and self.owner is None:
            self.owner = default_owner()
            if self.owner is None:
                raise UnusableFile("There is no active owner to own new customers; give --owner.")
        self.lines = self._count_lines()
        with self._open() as f:
            try:
                delimiter = delimiter_for(self.delimiter, first_line(f))
            except UnusableFile as e:
                raise UnusableFile(f"{str(e)[0].upper()}{str(e)[1:]}.") from None
            f.seek(0)
            record = next((r for r in csv_records(f, delimiter) if not r.error), None)
            header = record.cells if record else None
        if header is None:
            raise UnusableFile(
                f"{self.path} has no header row; the first line must name the columns, "
                f"at least {', '.join(REQUIRED)}."
            )
        names = [h.strip().lower() for h in header]
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if not name:
                self.warnings.append(f"column {i + 1} has no name and is not used")
            elif name in seen:
                raise UnusableFile(f"{self.path}: the column {name!r} appears twice in the header.")
            elif name in REQUIRED or name in OPTIONAL:
                seen[name] = i
            else:
                self.warnings.append(
                    f"column {name!r} is not used (the columns read are "
                    f"{', '.join(REQUIRED + OPTIONAL)})"
                )
        missing = [name for name in REQUIRED if name not in seen]
        if missing:
            shown = ", ".join(h for h in header if h.strip()) or "nothing"
            if delimiter != "," and self.delimiter == "auto" and len(header) == 1:
                shown += f" (read with the delimiter {delimiter!r})"
            raise UnusableFile(
                f"{self.path} lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (its header has {shown}); the required columns are "
                f"{', '.join(REQUIRED)}."
            )
        self.columns, self.width, self._delimiter_char = seen, len(header), delimiter
        self._checked = True

    def _open(self) -> TextIO:
        # utf-8-sig drops a byte order mark if there is one; newline="" is what csv wants.
        return self.path.open(encoding="utf-8-sig", newline="")

    def _count_lines(self) -> int:
        """The number of lines, after making sure every byte of the file decodes as UTF-8."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines, size, last = 0, 0, b""
        try:
            with self.path.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as e:
                        line = lines + chunk[: e.start].count(b"\n") + 1
                        raise UnusableFile(
                            f"{self.path} is not UTF-8 text (line {line} has a byte that is "
                            "not UTF-8); save it as UTF-8 (CSV UTF-8 in a spreadsheet) and "
                            "try again."
                        ) from None
                    lines += chunk.count(b"\n")
                    size += len(chunk)
                    last = chunk[-1:]
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    raise UnusableFile(
                        f"{self.path} is not UTF-8 text (it ends within a character)."
                    ) from None
        except OSError as e:
            raise UnusableFile(f"Cannot read {self.path}: {e.strerror or e}.") from None
        if size and last != b"\n":
            lines += 1
        return lines

    # ------------------------------------------------------------ rows

    def run(
        self,
        *,
        on_reject: Callable[[Rejection], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import every good row; report every bad one (also through `on_reject`, as it is
        found). `on_progress(n)` is told of each n lines read. Nothing is written on a
        dry run, but the report is the same.
        """
        if not self._checked:
            self.check()
        self.report = ImportReport(dry_run=self.dry_run)
        self._on_reject = on_reject
        self._pending: list[Rejection] = []
        business = Business.get()
        self._tz, self._currency = business.tzinfo, business.currency
        self._dates: dict[str, dt.datetime | str] = {}
        self._customers: dict[str, object] = {}
        self._products: dict[tuple[str, str], Product | str] = {}
        self._versions: dict[tuple[int, str], ProductVersion] = {}
        # Rows whose (customer, reference) was stored before this run are skipped, so a
        # file with references can be imported again; repeats within the file are kept
        # (the rows of one order may share its reference).
        self._before = Purchase.objects.aggregate(m=Max("id"))["m"] or 0
        self._now = timezone.now()

        batch: list[_Row] = []
        done = 0
        self._bought: set[int] = set()  # customers who got a purchase
        group = TransactionGroup(0 if self.dry_run else TRANSACTION_SECONDS)
        with bulk_session(), group:
            for row in self._rows():
                if isinstance(row, Rejection):
                    self._reject(row)
                    if not batch:  # nothing waits to be written: report it now
                        self._flush_rejections()
                else:
                    batch.append(row)
                if len(batch) >= self.batch_size:
                    group.run(self._write, batch)
                    batch = []
                if on_progress and self._line - done >= 1000:
                    on_progress(self._line - done)
                    done = self._line
            group.run(self._write, batch)
        if not self.dry_run and self._bought:
            # Rows went in without signals: bring the customer-since dates up to date.
            from lifelong.occasions.services import sync_occasions

            sync_occasions(ids=sorted(self._bought))
        if on_progress and self.lines > done:
            on_progress(self.lines - done)
        return self.report

    def _reject(self, rejection: Rejection) -> None:
        # Held until the batch is written, which finds the rest of its bad rows (unknown
        # customers), so that the report comes out in line order.
        self._pending.append(rejection)

    def _flush_rejections(self) -> None:
        self._pending.sort(key=lambda r: r.line)
        self.report.rejected.extend(self._pending)
        if self._on_reject:
            for rejection in self._pending:
                self._on_reject(rejection)
        self._pending = []

    def _rows(self) -> Iterator[_Row | Rejection]:
        self._line = 0
        with self._open() as f:
            header_seen = False
            for record in csv_records(f, self._delimiter_char):  # blank lines are no rows
                self._line = record.end
                if record.error:
                    self.report.rows += 1
                    yield Rejection(record.line, record.error)
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                self.report.rows += 1
                yield self._parse(record.line, record.end, record.cells)

    def _parse(self, line: int, end: int, cells: list[str]) -> _Row | Rejection:
        if len(cells) != self.width:
            return self._rejection(
                line, end, [f"{len(cells)} fields where the header has {self.width}"]
            )
        col = self.columns

        def cell(name: str) -> str:
            i = col.get(name)
            return cells[i].strip() if i is not None else ""

        problems: list[str] = []

        def attempt(fn: Callable[[], object]) -> object:
            try:
                return fn()
            except ValidationError as e:
                problems.extend(m.rstrip(".") for m in e.messages)
                return None

        key = cell("customer")
        if not key:
            problems.append("the customer is missing")
        elif len(key) > 254:
            problems.append("the customer is longer than any external id or email address")
        when = attempt(lambda: self._date(cell("date")))
        amount = attempt(lambda: services.parse_amount(cell("amount")))
        currency = attempt(lambda: services.clean_currency(cell("currency"), self._currency))
        channel = attempt(lambda: services.clean_channel(cell("channel").lower() or "other"))
        reference = attempt(lambda: services.clean_reference(cell("reference")))
        raw_quantity = cell("quantity")
        quantity = attempt(lambda: services.clean_quantity(raw_quantity)) if raw_quantity else None
        sku, product, version = cell("sku"), " ".join(cell("product").split()), cell("version")
        if version and not (sku or product):
            problems.append("a version needs a product or a sku")
        if len(sku) > 100 or len(product) > 200 or len(version) > 100:
            problems.append("the sku, product or version is too long (100, 200, 100 characters)")
        if problems:
            return self._rejection(line, end, problems)
        return _Row(
            line=line,
            key=key,
            when=when,  # type: ignore[arg-type]
            amount=amount,  # type: ignore[arg-type]
            currency=currency,  # type: ignore[arg-type]
            channel=channel or Channel.OTHER,  # type: ignore[arg-type]
            reference=reference or "",  # type: ignore[arg-type]
            quantity=quantity,  # type: ignore[arg-type]
            sku=sku,
            product=product,
            version=version,
        )

    @staticmethod
    def _rejection(line: int, end: int, problems: list[str]) -> Rejection:
        return Rejection(line, "; ".join(problems) + runs_on(line, end))

    def _date(self, raw: str) -> dt.datetime:
        # Purchases cluster on days: parse each distinct text once.
        known = self._dates.get(raw)
        if known is None:
            try:
                known = services.parse_when(raw, self._tz)
            except ValidationError as e:
                known = e.messages[0]
            if len(self._dates) >= _DATES_KEPT:
                self._dates.clear()
            self._dates[raw] = known
        if isinstance(known, str):
            raise ValidationError(known)
        return known

    # ------------------------------------------------------------ resolving and writing

    def _write(self, batch: list[_Row]) -> None:
        self._write_rows(batch)
        self._flush_rejections()

    def _write_rows(self, batch: list[_Row]) -> None:
        if not batch:
            return
        self._resolve_customers({row.key for row in batch})
        skip = self._stored_references(batch)
        if self.dry_run:
            for row in batch:
                self._accept(row, skip)
            return
        with transaction.atomic():
            accepted = []
            for row in batch:
                made = self._accept(row, skip)
                if made is not None:
                    accepted.append((row, *made))
            ids = new_ids(Purchase, len(accepted))
            self._bought.update(pk for _, pk, _ in accepted if pk is not None)
            adapt_time = connection.ops.adapt_datetimefield_value
            now = adapt_time(self._now)
            purchases, lines = [], []
            for pk, (row, customer_id, version) in zip(ids, accepted, strict=True):
                purchases.append(
                    (pk, customer_id, adapt_time(row.when), row.amount, row.currency,
                     row.channel, row.reference, now)
                )  # fmt: skip
                if row.has_line:
                    lines.append(
                        (pk, customer_id, version.pk if version else None, row.quantity or 1,
                         row.amount)
                    )  # fmt: skip
            insert_rows(Purchase, PURCHASE_COLUMNS, purchases)
            insert_rows(PurchaseLine, LINE_COLUMNS, lines)

    def _accept(
        self, row: _Row, skip: set[tuple[int, str]]
    ) -> tuple[int | None, ProductVersion | None] | None:
        """The row's customer id and product version, creating either if need be; None
        (and the row reported or counted as skipped) when it is not to be imported."""
        found = self._customers.get(row.key, _MISSING)
        if isinstance(found, str):  # the reason no single customer fits
            self._reject(Rejection(row.line, found))
            return None
        if found is _MISSING and not self._may_create(row):
            return None
        if isinstance(found, int) and row.reference and (found, row.reference) in skip:
            self.report.skipped += 1
            return None
        version = None
        if row.sku or row.product:
            try:
                version = self._version(row)
            except ValidationError as e:
                self._reject(Rejection(row.line, "; ".join(m.rstrip(".") for m in e.messages)))
                return None
        if found is _MISSING:
            found = self._create_customer(row.key)
        self.report.imported += 1
        return (found if isinstance(found, int) else None), version

    def _may_create(self, row: _Row) -> bool:
        if not self.create_customers:
            what = "email address" if "@" in row.key else "external id or email address"
            self._reject(
                Rejection(
                    row.line,
                    f"no customer has the {what} {row.key!r} "
                    "(--create-customers adds customers for unknown external ids)",
                )
            )
            return False
        if "@" in row.key:
            self._reject(
                Rejection(
                    row.line,
                    f"no customer has the email address {row.key!r} "
                    "(only external ids make new customers)",
                )
            )
            return False
        if len(row.key) > 100:
            self._reject(Rejection(row.line, "an external id has at most 100 characters"))
            return False
        return True

    def _create_customer(self, key: str) -> int | None:
        self.report.customers_created += 1
        if self.dry_run:
            self._customers[key] = None  # counted once; nothing to point at
            return None
        customer = save_customer(
            Customer(owner=self.owner, first_name="Customer", last_name=key, external_id=key)
        )
        self._customers[key] = customer.pk
        return customer.pk

    def _resolve_customers(self, keys: set[str]) -> None:
        """Find the customers of `keys` not seen yet: by external id, then by email."""
        new = [k for k in keys if k not in self._customers]
        if not new:
            return
        for external_id, pk in Customer.objects.filter(external_id__in=new).values_list(
            "external_id", "pk"
        ):
            self._customers[external_id] = pk
        by_address: dict[str, list[str]] = {}
        for k in new:
            if k not in self._customers and "@" in k:
                by_address.setdefault(k.lower(), []).append(k)
        if by_address:
            owners: dict[str, set[int]] = {}
            rows = CustomerEmail.objects.filter(address__in=list(by_address)).values_list(
                "address", "customer_id"
            )
            for address, pk in rows:
                owners.setdefault(address.lower(), set()).add(pk)
            for address, ids in owners.items():
                for k in by_address[address]:
                    if len(ids) == 1:
                        self._customers[k] = next(iter(ids))
                    else:
                        self._customers[k] = (
                            f"{len(ids)} customers have the email address {k!r}; "
                            "use their external id"
                        )

    def _stored_references(self, batch: list[_Row]) -> set[tuple[int, str]]:
        refs = {row.reference for row in batch if row.reference}
        if not refs or not self._before:  # no purchase was stored before this run
            return set()
        return set(
            Purchase.objects.filter(reference__in=refs, id__lte=self._before).values_list(
                "customer_id", "reference"
            )
        )

    def _version(self, row: _Row) -> ProductVersion | None:
        """The row's product version, found or made (only looked up on a dry run)."""
        key = (row.sku, row.product.lower())
        product = self._products.get(key)
        if product is None:
            try:
                product = services.find_product(sku=row.sku, name=row.product)
            except ValidationError as e:
                product = e.messages[0]
            if product is None:
                product = Product(name=row.product or row.sku, sku=row.sku or None)
                if not self.dry_run:
                    product = services.save_product(product)
                self.report.products_created += 1
            self._products[key] = product
        if isinstance(product, str):
            raise ValidationError(product)
        label = " ".join(row.version.split()) or services.UNVERSIONED
        vkey = (product.pk or id(product), label)
        version = self._versions.get(vkey)
        if version is None:
            version = services.find_version(product, label) if product.pk else None
            if version is None:
                version = ProductVersion(product=product, label=label)
                if not self.dry_run:
                    version = services.save_version(version, supersedes=None)
                self.report.versions_created += 1
            self._versions[vkey] = version
        return version


PURCHASE_COLUMNS = [
    "id", "customer_id", "occurred_at", "total", "currency", "channel", "reference", "created_at",
]  # fmt: skip
LINE_COLUMNS = ["purchase_id", "customer_id", "product_version_id", "quantity", "amount"]


def default_owner() -> User | None:
    """Who owns the customers an import creates: the first active owner."""
    return User.objects.filter(role=Role.OWNER, is_active=True).order_by("id").first()


def import_purchases(
    path: str | Path,
    *,
    create_customers: bool = False,
    owner: User | None = None,
    dry_run: bool = False,
    delimiter: str = "auto",
    on_reject: Callable[[Rejection], None] | None = None,
) -> ImportReport:
    """Import the purchases in the CSV file at `path` (see docs/cli.md for the format).

    Raises UnusableFile when nothing can be imported; otherwise returns the report, its
    `rejected` rows listed by line number.
    """
    job = PurchaseImport(
        path, create_customers=create_customers, owner=owner, dry_run=dry_run, delimiter=delimiter
    )
    job.check()
    return job.run(on_reject=on_reject)
