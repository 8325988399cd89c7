"""Everything out, everything in: `lifelong export all` and `lifelong import all`.

The export is one JSON document holding every row of every model of every `lifelong.*`
app (found in the app registry, so a new app is included without a change here), plus
the auth groups the users belong to:

    {"format": "lifelong-export", "version": 1, "exported_at": "…",
     "django_migrations": {"customers": "0003_keep_in_touch", …}, "models": [
    {"model": "accounts.user", "rows": [
    {"id": 1, "password": "argon2$…", …}
    ,{"id": 2, …}
    ], "count": 2}
    ,{"model": "customers.customer", "rows": [
    …
    ]}

Rows are written one a line as they stream from the database, in dependency order
(a row's foreign keys point at rows written before it, self-references aside), with
their primary keys, so the foreign keys stay valid. Values are what Django's serializer
writes (field.value_to_string, JSON fields as JSON), with full-precision times.
Foreign keys to rows that are not data (permissions, content types) are written as
natural keys, which mean the same thing in any database.

The import reads the same layout back line by line (any other layout of the same JSON
document is read whole, so a pretty-printed file still imports), checks the format and
that the database has the same migrations applied, then, in one transaction, empties
every table it covers and inserts the file's rows in batches, and on PostgreSQL moves
each id sequence past the highest id. Not exported: sessions, content types,
permissions and the admin log (not data; content types and permissions are rebuilt by
`migrate`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import IO, Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "lifelong-export"
VERSION = 1
CHUNK = 2000
BATCH = 1000

# Models outside the lifelong apps that hold data the lifelong models point at.
EXTRA_MODELS = ["auth.Group"]
# What is deliberately left out, and why (docs/backup-and-export.md repeats it).
NOT_DATA = {
    "sessions.session": "log-ins end with the move; people log in again",
    "contenttypes.contenttype": "rebuilt by migrate; referred to by natural key",
    "auth.permission": "rebuilt by migrate; referred to by natural key",
    "admin.logentry": "the admin's own log, not business data",
    # The trail of who saw what stays with the installation it happened in: an import
    # never rewrites it (docs/audit.md); `lifelong audit --json` writes it out.
    "audit.auditevent": "this installation's append-only audit log; import keeps it",
}

_HEAD_END = ', "models": ['
_BLOCK_START = ('{"model": ', ',{"model": ')
_BLOCK_OPEN = ', "rows": ['


class UnusableFile(Exception):
    """The file is not an export this database can take (exit status 2)."""


class DatabaseNotEmpty(Exception):
    """The database already holds customers and --force was not given."""


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _is_lifelong(app_name: str) -> bool:
    return app_name == "lifelong" or app_name.startswith("lifelong.")


def _stored(model: type[models.Model]) -> bool:
    meta = model._meta
    return meta.managed and not meta.proxy and not meta.swapped


def lifelong_models() -> list[type[models.Model]]:
    """Every model with a table in the lifelong apps, M2M through tables included."""
    return [
        model
        for config in apps.get_app_configs()
        if _is_lifelong(config.name)
        for model in config.get_models(include_auto_created=True)
        if _stored(model)
    ]


def exported_models() -> list[type[models.Model]]:
    """What `export all` writes, in dependency order: a model comes after every model its
    foreign keys point at (a cycle, which none has today, is broken at the app order)."""
    chosen: list[type[models.Model]] = []
    for name in EXTRA_MODELS:
        try:
            extra = apps.get_model(name)
        except LookupError:
            continue
        chosen.append(extra)
        chosen.extend(
            f.remote_field.through
            for f in extra._meta.local_many_to_many
            if f.remote_field.through._meta.auto_created
        )
    chosen.extend(m for m in lifelong_models() if m not in chosen and label(m) not in NOT_DATA)
    return _dependency_order(chosen)


def _dependency_order(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    members = set(chosen)
    needs = {
        m: {
            f.related_model
            for f in m._meta.local_concrete_fields
            if f.is_relation and f.related_model in members and f.related_model is not m
        }
        for m in chosen
    }
    ordered: list[type[models.Model]] = []
    done: set[type[models.Model]] = set()
    pending = list(chosen)
    while pending:
        ready = [m for m in pending if needs[m] <= done] or pending[:1]
        for m in ready:
            ordered.append(m)
            done.add(m)
            pending.remove(m)
    return ordered


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """The last migration applied in each app, as the migration table says."""
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        if name > last.get(app, ""):
            last[app] = name
    return dict(sorted(last.items()))


# ----------------------------------------------------------------- values


def _natural_key_target(f: models.Field, members: set[type[models.Model]]) -> bool:
    target = f.related_model
    if target in members:
        return False
    if not hasattr(target, "natural_key"):
        raise LookupError(
            f"{label(f.model)}.{f.name} points at {label(target)}, which is neither exported "
            "nor has a natural key: add it to portability.EXTRA_MODELS."
        )
    return True


def _plain_dumper(f: models.Field) -> Callable[[Any], Any]:
    if isinstance(f, models.JSONField):
        return lambda v: v
    attname = f.attname

    def dump(v: Any) -> Any:
        if v is None or type(v) in (bool, int, float, str):
            return v
        return f.value_to_string(SimpleNamespace(**{attname: v}))

    return dump


def _dumper(f: models.Field, members: set[type[models.Model]]) -> Callable[[Any], Any]:
    if not f.is_relation:
        return _plain_dumper(f)
    if not _natural_key_target(f, members):
        return _plain_dumper(f.target_field)
    target = f.related_model
    cache: dict[Any, list[Any]] = {}

    def natural(v: Any) -> Any:
        if v is None:
            return None
        if v not in cache:
            cache[v] = list(target._base_manager.get(pk=v).natural_key())
        return cache[v]

    return natural


def _loader(f: models.Field, members: set[type[models.Model]], using: str) -> Callable:
    if isinstance(f, models.JSONField):
        return lambda v: v
    if not f.is_relation:
        return lambda v: None if v is None else f.to_python(v)
    if not _natural_key_target(f, members):
        return _loader(f.target_field, members, using)
    manager = f.related_model._default_manager.db_manager(using)
    cache: dict[tuple, Any] = {}

    def by_natural_key(v: Any) -> Any:
        if v is None:
            return None
        key = tuple(v)
        if key not in cache:
            try:
                cache[key] = manager.get_by_natural_key(*key).pk
            except f.related_model.DoesNotExist:
                raise UnusableFile(
                    f"{label(f.model)}.{f.name}: no {label(f.related_model)} {list(key)} here"
                ) from None
        return cache[key]

    return by_natural_key


# ----------------------------------------------------------------- export


@dataclass
class ExportReport:
    rows: int = 0
    models: dict[str, int] = field(default_factory=dict)


def export_all(
    out: IO[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int], object] | None = None,
    exported_at: dt.datetime | None = None,
) -> ExportReport:
    """Write every row of every exported model to `out`, streaming."""
    chosen = exported_models()
    members = set(chosen)
    report = ExportReport()
    with _snapshot(using):
        head = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": (exported_at or timezone.now()).isoformat(),
            "django_migrations": applied_migrations(using),
        }
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + _HEAD_END)
        for i, model in enumerate(chosen):
            fields = model._meta.local_concrete_fields
            names = [f.name for f in fields]
            dumpers = [_dumper(f, members) for f in fields]
            out.write(("\n" if i == 0 else "\n,") + '{"model": ' + json.dumps(label(model)))
            out.write(_BLOCK_OPEN)
            count = 0
            rows = (
                model._base_manager.using(using)
                .order_by("pk")
                .values_list(*[f.attname for f in fields])
                .iterator(chunk_size=CHUNK)
            )
            for values in rows:
                row = {n: d(v) for n, d, v in zip(names, dumpers, values, strict=True)}
                out.write(("\n" if count == 0 else "\n,") + json.dumps(row, ensure_ascii=False))
                count += 1
                if progress is not None:
                    progress(1)
            out.write(f'\n], "count": {count}}}')
            report.models[label(model)] = count
            report.rows += count
        out.write("\n]}\n")
    return report


def count_rows(using: str = DEFAULT_DB_ALIAS) -> int:
    """How many rows export_all would write (for a progress bar)."""
    return sum(m._base_manager.using(using).count() for m in exported_models())


class _snapshot:
    """A read transaction, so that every table is read as of one moment.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite: a deferred BEGIN, which in WAL mode
    reads one snapshot without taking the write lock (Django's own atomic() would BEGIN
    IMMEDIATE and keep every writer waiting for the whole export).
    """

    def __init__(self, using: str) -> None:
        self.connection = connections[using]
        self.atomic: Any = None
        self.began = False

    def __enter__(self) -> None:
        conn = self.connection
        if conn.in_atomic_block:
            return  # inside a caller's transaction (tests): read in it
        if conn.vendor == "sqlite":
            conn.ensure_connection()
            with conn.cursor() as cursor:
                cursor.execute("BEGIN DEFERRED")
            self.began = True
            return
        self.atomic = transaction.atomic(using=conn.alias)
        self.atomic.__enter__()
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def __exit__(self, *exc: object) -> None:
        if self.began:
            with self.connection.cursor() as cursor:
                cursor.execute("COMMIT")
        elif self.atomic is not None:
            self.atomic.__exit__(*exc)


# ----------------------------------------------------------------- reading


@dataclass
class Block:
    model: str
    rows: Iterator[dict[str, Any]]
    count: list[int] = field(default_factory=list)  # filled once rows are read


class ExportFile:
    """An export file opened for reading: its header, then its blocks one by one."""

    def __init__(self, f: IO[str]) -> None:
        self.f = f
        first = f.readline()
        self.streaming = first.rstrip("\n").endswith(_HEAD_END)
        if self.streaming:
            head_text = first.rstrip("\n")[: -len(_HEAD_END)] + "}"
            self.whole: dict[str, Any] | None = None
        else:
            head_text = first + f.read()
        try:
            head = json.loads(head_text)
        except ValueError as e:
            raise UnusableFile(f"not a JSON document ({e})") from None
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise UnusableFile(f'not a Lifelong export (no "format": "{FORMAT}")')
        if head.get("version") != VERSION:
            raise UnusableFile(
                f"export format version {head.get('version')!r}; this Lifelong reads "
                f"version {VERSION}"
            )
        if not isinstance(head.get("django_migrations"), dict):
            raise UnusableFile("the file does not say which migrations it was written at")
        if not self.streaming:
            if not isinstance(head.get("models"), list):
                raise UnusableFile('no "models" list')
            self.whole = head
        self.head = head
        self.line = 1

    def blocks(self) -> Iterator[Block]:
        if self.whole is not None:
            for item in self.whole["models"]:
                if not isinstance(item, dict) or not isinstance(item.get("rows"), list):
                    raise UnusableFile('each entry of "models" needs "model" and "rows"')
                rows = item["rows"]
                yield Block(str(item.get("model")), iter(rows), [len(rows)])
            return
        while True:
            text = self._next()
            if text == "]}":
                return
            if not (text.startswith(_BLOCK_START) and text.endswith(_BLOCK_OPEN)):
                raise UnusableFile(f"line {self.line}: expected a model's rows")
            name = self._json(text.lstrip(",")[: -len(_BLOCK_OPEN)] + "}")["model"]
            block = Block(str(name), iter(()))
            block.rows = self._rows(block)
            yield block
            for _ in block.rows:  # a caller that stopped early: skip the rest
                pass

    def _rows(self, block: Block) -> Iterator[dict[str, Any]]:
        while True:
            text = self._next()
            if text.startswith("],"):
                block.count.append(self._json("{" + text[2:].lstrip())["count"])
                return
            if text == "]}":
                raise UnusableFile(f"line {self.line}: the rows of {block.model} end early")
            row = self._json(text[1:] if text.startswith(",") else text)
            if not isinstance(row, dict):
                raise UnusableFile(f"line {self.line}: a row is not an object")
            yield row

    def _next(self) -> str:
        text = self.f.readline()
        self.line += 1
        if not text:
            raise UnusableFile(f"line {self.line}: the file ends early (cut off?)")
        return text.rstrip("\n")

    def _json(self, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as e:
            raise UnusableFile(f"line {self.line}: {e}") from None


# ----------------------------------------------------------------- import


@dataclass
class ImportReport:
    rows: int = 0
    replaced: int = 0
    models: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def check_migrations(head: dict[str, Any], using: str = DEFAULT_DB_ALIAS) -> None:
    theirs = head["django_migrations"]
    ours = applied_migrations(using)
    if theirs == ours:
        return
    differences = []
    for app in sorted(set(theirs) | set(ours)):
        if theirs.get(app) != ours.get(app):
            differences.append(
                f"{app}: file {theirs.get(app) or '(none)'}, database {ours.get(app) or '(none)'}"
            )
    raise UnusableFile(
        "the file was written at other migrations than this database has applied ("
        + "; ".join(differences)
        + "). Run `lifelong migrate` here, or import with the Lifelong version that "
        "wrote the file."
    )


def holds_customers(using: str = DEFAULT_DB_ALIAS) -> bool:
    return apps.get_model("customers", "Customer")._base_manager.using(using).exists()


def import_all(
    f: IO[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
    force: bool = False,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Replace every exported table's rows with the file's, in one transaction.

    Raises UnusableFile (nothing written) and DatabaseNotEmpty (unless `force`).
    """
    export = ExportFile(f)
    check_migrations(export.head, using)
    if not force and holds_customers(using):
        raise DatabaseNotEmpty(
            "this database already holds customers; `import all` replaces everything, "
            "so it needs --force to go ahead"
        )
    chosen = exported_models()
    members = set(chosen)
    by_label = {label(m): m for m in chosen}
    report = ImportReport()
    connection = connections[using]
    with transaction.atomic(using=using):
        _unlink_kept_rows(members, using)
        for model in reversed(chosen):
            report.replaced += model._base_manager.using(using).all()._raw_delete(using)
        seen: set[str] = set()
        for block in export.blocks():
            model = by_label.get(block.model)
            if model is None:
                raise UnusableFile(f"{block.model}: no such model here")
            if block.model in seen:
                raise UnusableFile(f"{block.model} appears twice")
            seen.add(block.model)
            count = _insert_rows(model, block, members, using, progress)
            if block.count and block.count[0] != count:
                raise UnusableFile(
                    f"{block.model}: {count:,} rows read but the file says {block.count[0]:,}"
                )
            report.models[block.model] = count
            report.rows += count
        for missing in sorted(set(by_label) - seen):
            report.warnings.append(f"{missing} is not in the file; it is left empty")
        sequences = connection.ops.sequence_reset_sql(no_style(), chosen)
        if sequences:
            with connection.cursor() as cursor:
                for sql in sequences:
                    cursor.execute(sql)
    return report


def _unlink_kept_rows(members: set[type[models.Model]], using: str) -> None:
    """Rows that stay (lifelong models left out of the export: the audit log) lose their
    links to the rows about to be replaced, as a deleted user's audit events do."""
    for model in lifelong_models():
        if model in members:
            continue
        for f in model._meta.local_concrete_fields:
            if f.is_relation and f.null and f.related_model in members:
                rows = model._base_manager.using(using).exclude(**{f.attname: None})
                rows.update(**{f.attname: None})


def _insert_rows(
    model: type[models.Model],
    block: Block,
    members: set[type[models.Model]],
    using: str,
    progress: Callable[[int], object] | None,
) -> int:
    # Rows go in as they are, as loaddata saves them: no defaults, no auto_now, no
    # signals, primary keys included; each value prepared by its field for the database,
    # then one executemany per batch (Model instances and the SQL compiler per row would
    # take three times as long).
    connection = connections[using]
    fields = model._meta.local_concrete_fields
    names = [f.name for f in fields]
    preparers = [_preparer(f, members, using) for f in fields]
    expected = set(names)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (quoted names from _meta)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    batch: list[list[Any]] = []
    count = 0
    with connection.cursor() as cursor:
        for row in block.rows:
            if len(row) != len(names) or row.keys() != expected:
                extra, missing = set(row) - expected, expected - set(row)
                raise UnusableFile(
                    f"{block.model} row {count + 1}: "
                    + (f"unknown fields {sorted(extra)} " if extra else "")
                    + (f"missing fields {sorted(missing)}" if missing else "")
                )
            try:
                batch.append([prep(row[n]) for n, prep in zip(names, preparers, strict=True)])
            except UnusableFile:
                raise
            except Exception as e:  # a value the field cannot read
                raise UnusableFile(f"{block.model} row {count + 1}: {e}") from None
            count += 1
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            if progress is not None:
                progress(len(batch))
    return count


# Fields whose database value is the JSON value itself when it has one of these types.
_PLAIN: dict[type[models.Field], tuple[type, ...]] = {
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.SmallAutoField: (int,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.CharField: (str,),
    models.TextField: (str,),
    models.SlugField: (str,),
    models.EmailField: (str,),
    models.BooleanField: (bool,),
    models.FloatField: (float, int),
}


def _preparer(f: models.Field, members: set[type[models.Model]], using: str) -> Callable:
    """JSON value → what the database driver takes for field `f`."""
    connection = connections[using]
    load = _loader(f, members, using)
    target = f
    while target.is_relation and not _natural_key_target(target, members):
        target = target.target_field
    plain = () if target.is_relation else _PLAIN.get(type(target), ())

    def prepare(v: Any) -> Any:
        if v is None:
            return None
        if type(v) in plain:
            return v
        return f.get_db_prep_save(load(v), connection)

    return prepare
