"""Benchmark: the customer list, search and customer page at 10k / 100k / 1M customers.

    python bench/customers.py [--sizes 10000,100000,1000000] [--runs 20] [--keep]
                              [--postgres postgres://user@host:5432/dbname] [--explain]

For each size it builds a database of its own (SQLite under var/bench/, and a database
named <dbname>_<size> on PostgreSQL when --postgres is given), loads synthetic customers
with their emails, phones, search terms, tags, relatives, a few profile answers and
touches, runs ANALYZE, then times each request through the whole Django stack (the test
Client, logged in as an owner and as a rep) and the listing service directly. Results
go to docs/benchmarks.md (see --report).

Every size runs in a child process, because the database is chosen (DATABASE_URL)
before django.setup().
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import shlex
import statistics
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import child_result, markers, postgres_url, targets, write_section
from report import machine as describe_machine  # bench/report.py

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_SIZES = "10000,100000,1000000"
CHUNK = 20_000

# The searches timed: a 3-letter prefix of the commonest surname (thousands of matches
# at 1M) and a rare surname in full (hundreds).
COMMON_PREFIX = "and"  # Andersson, Anders, anders.…@…
RARE_SURNAME = "Whitcombe"

# ---------------------------------------------------------------- parent: run the sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"default {DEFAULT_SIZES}")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure")
    parser.add_argument("--keep", action="store_true", help="reuse a database already built")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--postgres-sizes", help="sizes on PostgreSQL (default: --sizes)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    parser.add_argument(
        "--report", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for none"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rewrite-report",
        action="store_true",
        help="write the report again from the last run's var/bench/results.json",
    )
    # Internal: one size in this process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    if args.rewrite_report:
        saved = json.loads((BENCH_DIR / "results.json").read_text())
        write_report(Path(args.report), report(saved["results"], saved["command"], saved["runs"]))
        print(f"Wrote {args.report} from {BENCH_DIR / 'results.json'}")
        return

    results = []
    for backend, base_url, backend_sizes in targets(args):
        for size in backend_sizes:
            url = database_url(backend, base_url, size)
            print(f"== {backend}, {size:,} customers ==", flush=True)
            results.append(run_child(args, size, url))
    command = "python bench/customers.py " + shlex.join(argv or sys.argv[1:])
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "results.json").write_text(
        json.dumps({"command": command.strip(), "runs": args.runs, "results": results})
    )
    if args.report != "-":
        write_report(Path(args.report), report(results, command.strip(), args.runs))
        print(f"Wrote {args.report}")


def write_report(path: Path, section: str) -> None:
    """Write this bench's section of the report (the first), leaving the others alone."""
    write_section(path, "customers", section, first=True)


def database_url(backend: str, base_url: str | None, size: int) -> str:
    if backend == "SQLite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{BENCH_DIR / f'customers-{size}.sqlite3'}"
    assert base_url
    return postgres_url(base_url, f"_{size}")


def run_child(args: argparse.Namespace, size: int, url: str) -> dict[str, Any]:
    flags = ["--size", str(size), "--url", url, "--runs", str(args.runs), "--seed", str(args.seed)]
    flags += [f"--{flag}" for flag in ("keep", "explain") if getattr(args, flag)]
    return child_result(__file__, flags)


# ---------------------------------------------------------------- child: one size


def child(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = args.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lifelong.settings"
    # As in production: no query log in memory, no debug pages.
    os.environ["LIFELONG_DEBUG"] = "0"
    sys.path.insert(0, str(ROOT))
    if args.url.startswith("sqlite") and not args.keep:
        path = Path(urlsplit(args.url).path)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
    elif not args.url.startswith("sqlite"):
        prepare_postgres(args.url, keep=args.keep)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from lifelong.customers.models import Customer

    existing = Customer.objects.count()
    # How long the load took is kept beside the database, for a report made with --keep.
    meta = BENCH_DIR / (Path(urlsplit(args.url).path).stem + ".load.json")
    if existing != args.size:
        if existing:
            sys.exit(f"{args.url} holds {existing:,} customers, not {args.size:,}: drop it first.")
        started = time.monotonic()
        load(args.size, args.seed)
        generated_in = time.monotonic() - started
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"generated_in": generated_in}))
        print(f"Loaded {args.size:,} customers in {generated_in:.0f} s", flush=True)
    else:
        generated_in = json.loads(meta.read_text())["generated_in"] if meta.exists() else None
        print(f"Reusing {existing:,} customers", flush=True)
    result = {
        "size": args.size,
        "backend": "SQLite" if args.url.startswith("sqlite") else "PostgreSQL",
        "generated_in": generated_in,
        "rows": row_counts(),
        "database_mb": database_mb(args.url),
        "load_before": os.getloadavg()[0],
        "timings": measure(args.runs, explain=args.explain),
        "load_after": os.getloadavg()[0],
    }
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SHOW server_version")
            result["server_version"] = c.fetchone()[0]
    Path(args.result).write_text(json.dumps(result))


def prepare_postgres(url: str, *, keep: bool) -> None:
    """Create the size's database (dropping it first unless --keep)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not keep:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# ---------------------------------------------------------------- loading


def load(size: int, seed: int, *, fast: bool = True) -> None:
    """Insert `size` customers and their rows in big batches, in one transaction.

    `fast` turns SQLite's journal and fsync off while loading: for a throw-away file only.
    """
    from django.db import connection, transaction
    from tqdm import tqdm

    from lifelong.customers.models import Tag

    users = bench_users()
    tags = [Tag.objects.get_or_create(name=n)[0].pk for n in ("vip", "newsletter", "golf")]
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    sqlite = connection.vendor == "sqlite"
    ts = str if sqlite else (lambda d: d.replace(tzinfo=dt.UTC))
    if sqlite and fast:
        # A throw-away database: no journal and no fsync while loading.
        with connection.cursor() as c:
            c.execute("PRAGMA journal_mode=OFF")
            c.execute("PRAGMA synchronous=OFF")
            c.execute("PRAGMA cache_size=-1000000")  # 1 GB
            c.execute("PRAGMA temp_store=MEMORY")
    questions = question_ids()
    with transaction.atomic(), tqdm(total=size, unit=" customers", mininterval=1) as bar:
        writer = SqliteWriter(connection) if sqlite else PostgresWriter(connection)
        for first in range(1, size + 1, CHUNK):
            ids = range(first, min(first + CHUNK, size + 1))
            batch = Batch()
            for pk in ids:
                add_customer(batch, pk, rng, users, tags, questions, now, ts)
            for table, columns in TABLES.items():
                writer.write(table, columns, getattr(batch, table))
            bar.update(len(ids))
        writer.finish()
    with connection.cursor() as c:
        if sqlite and fast:
            c.execute("PRAGMA journal_mode=WAL")
        c.execute("ANALYZE")


def bench_users() -> dict[str, Any]:
    from lifelong.accounts.models import Role, User

    def user(username: str, role: str) -> User:
        u, created = User.objects.get_or_create(
            username=username, defaults={"role": role, "first_name": username.title()}
        )
        if created:
            u.set_unusable_password()
            u.save()
        return u

    reps = [user(f"bench-rep-{i}", Role.REP) for i in range(1, 9)]
    return {
        "owner": user("bench-owner", Role.OWNER),
        "manager": user("bench-manager", Role.MANAGER),
        "reps": reps,
        "all": [user("bench-owner", Role.OWNER), user("bench-manager", Role.MANAGER), *reps],
    }


def question_ids() -> dict[str, Any]:
    from lifelong.customers.models import ProfileQuestion

    return {q.key: q for q in ProfileQuestion.objects.all()}


# Column lists per table, in the order add_customer writes them.
TABLES: dict[str, list[str]] = {
    "customers_customer": [
        "id", "status", "owner_id", "first_name", "last_name", "nickname", "company",
        "job_title", "street", "postal_code", "city", "region", "country", "how_we_met",
        "referred_by_id", "notes", "external_id", "email_consent", "email_consent_at",
        "email_consent_source", "became_customer_on", "created_at", "updated_at",
        "archived_at", "last_touched_at", "sort_name",
    ],
    "customers_customeremail": ["customer_id", "address", "label", "position"],
    "customers_customerphone": ["customer_id", "number", "label", "position"],
    "customers_searchterm": ["customer_id", "term"],
    "customers_customer_tags": ["customer_id", "tag_id"],
    "customers_relative": ["customer_id", "name", "relationship", "birthday", "notes",
                           "created_at"],
    "customers_profileanswer": ["customer_id", "question_id", "value", "updated_at",
                                "updated_by_id"],
    "touches_touch": ["customer_id", "user_id", "channel", "direction", "occurred_at",
                      "summary", "outcome", "created_at"],
}  # fmt: skip


class Batch:
    def __init__(self) -> None:
        for table in TABLES:
            setattr(self, table, [])


_CHANNELS = ["call", "email", "meeting", "letter", "text"]


def add_customer(
    batch: Batch,
    pk: int,
    rng: random.Random,
    users: dict[str, Any],
    tags: list[int],
    questions: dict[str, Any],
    now: dt.datetime,
    ts: Callable[[dt.datetime], Any],
) -> None:
    """One customer's rows, with the same derived columns the services would write."""
    from lifelong.customers.services import search_terms
    from lifelong.demo import fake_person, random_birthday

    person = fake_person(rng)
    roll = rng.random()
    if roll < 0.02:
        owner = users["owner"]
    elif roll < 0.1:
        owner = users["manager"]
    else:
        owner = rng.choice(users["reps"])
    status = "customer" if roll < 0.8 else "prospect" if roll < 0.93 else "former"
    created = now - dt.timedelta(days=rng.randint(30, 3000), seconds=rng.randrange(86400))
    touches = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
        when = now - dt.timedelta(days=rng.randint(1, 730), seconds=rng.randrange(86400))
        touches.append(
            (pk, owner.pk, rng.choice(_CHANNELS), "outbound", ts(when), "Check-in", "", ts(when))
        )
    last_touched = max((t[4] for t in touches), default=None)
    sort_name = f"{person.last_name} {person.first_name}".strip().lower() or person.company.lower()
    consent = bool(person.emails) and rng.random() < 0.5
    batch.customers_customer.append(
        (
            pk, status, owner.pk, person.first_name, person.last_name, "", person.company,
            person.job_title, person.street, person.postal_code, person.city, person.region,
            person.country, "", None, "", None, consent, ts(created) if consent else None,
            "Web sign-up" if consent else "",
            str((created - dt.timedelta(days=rng.randint(0, 2000))).date())
            if status != "prospect" else None,
            ts(created), ts(created), ts(now) if rng.random() < 0.01 else None, last_touched,
            sort_name,
        )
    )  # fmt: skip
    batch.customers_customeremail.extend(
        (pk, address, label, i) for i, (address, label) in enumerate(person.emails)
    )
    batch.customers_customerphone.extend(
        (pk, number, label, i) for i, (number, label) in enumerate(person.phones)
    )
    names = types.SimpleNamespace(
        first_name=person.first_name, last_name=person.last_name, nickname="",
        company=person.company,
    )  # fmt: skip
    emails, phones = [a for a, _ in person.emails], [n for n, _ in person.phones]
    terms = search_terms(names, emails, phones)  # type: ignore[arg-type]
    batch.customers_searchterm.extend((pk, term) for term in terms)
    if rng.random() < 0.3:
        batch.customers_customer_tags.append((pk, rng.choice(tags)))
    if rng.random() < 0.4:
        birthday = random_birthday(rng, rng.choice((None, rng.randint(1950, 2015))))
        batch.customers_relative.append(
            (pk, rng.choice(("Anna", "Erik", "Sara", "Lars")), "child", birthday.isoformat(), "",
             ts(created))
        )  # fmt: skip
    if rng.random() < 0.25:
        birthday = random_birthday(rng, rng.randint(1945, 2000)).isoformat()
        batch.customers_profileanswer.extend(
            [
                (pk, questions["birthday"].pk, birthday, ts(created), owner.pk),
                (pk, questions["hobbies"].pk, "Sailing", ts(created), owner.pk),
                (pk, questions["contact_preference"].pk, "Email", ts(created), owner.pk),
            ]
        )
    batch.touches_touch.extend(touches)


class SqliteWriter:
    """executemany on the raw sqlite3 connection: no per-row work in Django."""

    def __init__(self, connection: Any) -> None:
        self.cursor = connection.connection.cursor()

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(columns))
        self.cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    def finish(self) -> None:
        pass


class PostgresWriter:
    """COPY … FROM STDIN, then move the id sequences past the ids written."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        with self.connection.cursor() as c:
            raw = c.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self) -> None:
        with self.connection.cursor() as c:
            c.execute(
                "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'),"
                " (SELECT max(id) FROM customers_customer))"
            )


def row_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as c:
        counts = {}
        for table in TABLES:
            c.execute(f"SELECT count(*) FROM {table}")
            counts[table] = c.fetchone()[0]
    return counts


def database_mb(url: str) -> float:
    from django.db import connection

    if url.startswith("sqlite"):
        return Path(urlsplit(url).path).stat().st_size / 1e6
    with connection.cursor() as c:
        c.execute("SELECT pg_database_size(current_database())")
        return c.fetchone()[0] / 1e6


# ---------------------------------------------------------------- timing


def stats(samples: list[float]) -> dict[str, float]:
    """Median and p95 (nearest rank) in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median": statistics.median(ordered) * 1000, "p95": p95 * 1000}


def time_it(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm the caches, as a server that has been up a while has them
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return stats(samples)


def middle_cursor(user: Any) -> str:
    """The cursor of a row half-way down the user's list: a deep page, not page 2."""
    from lifelong.customers import listing

    try:  # the cursor codec moved to lifelong.cursors; older trees keep it in listing
        from lifelong.cursors import encode_cursor
    except ImportError:
        encode_cursor = listing._encode  # type: ignore[attr-defined]

    qs = listing.filtered(user, listing.Filters()).order_by("sort_name", "id")
    count = qs.count()
    row = qs[count // 2]
    return encode_cursor(listing._key("name", row))


def scenarios(user: Any) -> Iterator[tuple[str, Callable[[], Any], str | None]]:
    """(name, service call, URL) for each figure; the URL is None when there is no page."""
    from lifelong.customers.access import customers_visible_to, get_customer_for_user
    from lifelong.customers.listing import Filters, list_customers
    from lifelong.customers.services import profile_sheet

    cursor = middle_cursor(user)
    some = customers_visible_to(user).order_by("id")[customers_visible_to(user).count() // 3]

    def page() -> Any:
        customer = get_customer_for_user(user, some.pk)
        return profile_sheet(customer), list(customer.emails.all()), list(customer.relatives.all())

    yield "list, first page", lambda: list_customers(user, Filters()), "/customers/"
    yield (
        "list, a page half-way down (cursor)",
        lambda: list_customers(user, Filters(), cursor=cursor),
        f"/customers/?cursor={cursor}",
    )
    yield (
        f"search {COMMON_PREFIX!r} (common prefix)",
        lambda: list_customers(user, Filters(q=COMMON_PREFIX)),
        f"/customers/?q={COMMON_PREFIX}",
    )
    yield (
        f"search {RARE_SURNAME!r} (rare surname)",
        lambda: list_customers(user, Filters(q=RARE_SURNAME)),
        f"/customers/?q={RARE_SURNAME}",
    )
    yield "customer page", page, f"/customers/{some.pk}/"


def has_views() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("customers:list")
        reverse("customers:detail", args=[1])
    except NoReverseMatch:
        return False
    return True


def measure(runs: int, *, explain: bool) -> dict[str, dict[str, Any]]:
    """{scenario: {"service owner": stats, "http owner": stats, "service rep": …, …}}."""
    from django.test import Client

    from lifelong.accounts.models import User

    owner = User.objects.get(username="bench-owner")
    rep = User.objects.get(username="bench-rep-1")
    http = has_views()
    if not http:
        print("The customer views are not there yet: timing the services only.")
    figures: dict[str, dict[str, Any]] = {}
    for who, user in (("owner", owner), ("rep", rep)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for name, call, url in scenarios(user):
            row = figures.setdefault(name, {})
            row[f"service {who}"] = time_it(call, runs)
            if explain:
                print_plans(name, who, call)
            if http and url:

                def get(url: str = url, client: Client = client) -> None:
                    response = client.get(url)
                    if response.status_code != 200:
                        raise SystemExit(f"GET {url} answered {response.status_code}")

                row[f"http {who}"] = time_it(get, runs)
            print(f"{name:40} {who:5} " + "  ".join(
                f"{k.split()[0]} {v['median']:7.1f} ms (p95 {v['p95']:7.1f})"
                for k, v in row.items() if k.endswith(who)
            ), flush=True)  # fmt: skip
    return figures


def print_plans(name: str, who: str, call: Callable[[], Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    print(f"-- {name} ({who}): {len(ctx.captured_queries)} queries")
    with connection.cursor() as c:
        for q in ctx.captured_queries:
            sql = q["sql"]
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            c.execute(prefix + sql)
            print(f"   {float(q['time']) * 1000:7.1f} ms  {sql[:300]}")
            for line in c.fetchall():
                print("        ", " | ".join(str(x) for x in line))


# ---------------------------------------------------------------- report


def machine() -> dict[str, str]:
    return describe_machine()


def report(results: list[dict[str, Any]], command: str, runs: int) -> str:
    info = machine()
    postgres = next((r for r in results if r["backend"] == "PostgreSQL"), None)
    if postgres:
        info["PostgreSQL"] = postgres.get("server_version", "see the server")
    start, end = markers("customers")
    lines = [
        start,
        "# Benchmarks: the customer list, search and page",
        "",
        "The target (from the issue): the customer list and search answer in under",
        "**100 ms at 1M customers on SQLite**, server side.",
        "",
        f"Made with `{command}` on {dt.datetime.now(dt.UTC).date().isoformat()}.",
        "From scratch, `make bench` builds and times 10k, 100k and 1M customers on SQLite",
        "(loading 1M takes about six minutes on this machine; `--keep` reuses the files in",
        "`var/bench/`). Add `--postgres URL` for PostgreSQL and `--explain` for query plans.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items()),
        "",
        "Each figure is the median and the 95th percentile (nearest rank) of "
        f"{runs} runs after one warm-up run, in milliseconds. *HTTP* is a GET through the",
        "whole Django stack (test Client: middleware, session, view, template), *service*",
        "is `lifelong.customers.listing.list_customers` (for the customer page:",
        "`get_customer_for_user` and `profile_sheet`). The owner sees every customer;",
        "the rep owns about one customer in nine.",
        "",
        "The figures are wall-clock times on a shared machine: with a load average above the",
        "number of cores, other processes took turns on the CPU during the runs, which",
        "shows most in the p95 column. The medians are the figures to compare.",
        "",
        "How the data is made: `bench/customers.py` loads synthetic customers (the demo's",
        "name, company, address, email and phone generator) with their search terms,",
        "about 1.9 touches each (so `last_touched_at` is set), some tags, relatives and",
        "profile answers, in one transaction with raw `executemany` (SQLite, journal off",
        "while loading) or `COPY` (PostgreSQL), then runs `ANALYZE`.",
        "",
    ]
    for r in results:
        gen = f"in {r['generated_in']:.0f} s" if r["generated_in"] is not None else "earlier"
        lines += [
            f"## {r['backend']}, {r['size']:,} customers",
            "",
            f"Loaded {gen}; database {r['database_mb']:,.0f} MB; "
            + ", ".join(f"{n:,} {t.split('_', 1)[1]}" for t, n in r["rows"].items())
            + ".",
            f"Load average (1 min) on the machine: {r.get('load_before', 0):.1f} before the"
            f" timings, {r.get('load_after', 0):.1f} after.",
            "",
        ]
        columns = ["http owner", "service owner", "http rep", "service rep"]
        present = [c for c in columns if any(c in row for row in r["timings"].values())]
        lines += [
            "| | " + " | ".join(f"{c} median / p95" for c in present) + " |",
            "|---|" + "---:|" * len(present),
        ]
        for name, row in r["timings"].items():
            cells = [
                f"{row[c]['median']:.1f} / {row[c]['p95']:.1f}" if c in row else "-"
                for c in present
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [*verdict(results), *FINDINGS, end]
    return "\n".join(lines) + "\n"


def verdict(results: list[dict[str, Any]]) -> list[str]:
    """Whether list and search stay under 100 ms at 1M customers, by median and by p95."""
    lines = ["## Against the target", ""]
    for r in results:
        if r["backend"] != "SQLite" or r["size"] < 1_000_000:
            continue
        for measure_ in ("median", "p95"):
            worst = max(
                (figure[measure_], name, column)
                for name, row in r["timings"].items()
                if name.startswith(("list", "search"))
                for column, figure in row.items()
            )
            met = "under" if worst[0] < 100 else "**over**"
            lines.append(
                f"- SQLite, {r['size']:,} customers, slowest {measure_}: {worst[1]} "
                f"({worst[2]}), {worst[0]:.1f} ms: {met} 100 ms."
            )
    if len(lines) == 2:
        lines.append("- No SQLite run at 1M customers in this report.")
    return [*lines, ""]


FINDINGS = [
    "## What the query plans showed",
    "",
    "Found with `python bench/customers.py --sizes 1000000 --keep --explain`, which prints",
    "`EXPLAIN QUERY PLAN` for every query a figure runs.",
    "",
    "- **Deep pages.** The keyset condition `sort_name > ? OR (sort_name = ? AND id > ?)`",
    "  with bound parameters gave `SCAN customers_customer USING INDEX customer_name_key`:",
    "  SQLite read the index from the start, so a page half-way down 100k customers took",
    "  154 ms (service, median; 172 ms over HTTP) and grew with depth. `listing._after`",
    "  now adds the redundant range",
    "  `sort_name >= ?` (`<=` descending, and the same for `last_touched_at`), which gives",
    "  `SEARCH … USING INDEX customer_name_key (sort_name>?)`: any page costs what the first",
    "  costs.",
    "- **Common prefixes.** For a prefix with more than 2,000 matches the list filters on",
    "  `id IN (SELECT customer_id FROM customers_searchterm WHERE term >= ? AND term < ?)`,",
    "  and SQLite drove the query from the subquery: every match fetched by rowid, then",
    "  `USE TEMP B-TREE FOR ORDER BY` (84k rows for `and` at 1M: 180 ms for the query,",
    "  147 ms service and 203 ms HTTP medians for the owner before the fix). When a prefix",
    "  matches 20,000 terms or more, `listing.filtered` now writes `id + 0 IN (…)` on SQLite,",
    "  which hides the rowid from the planner: it walks `customer_name_key` (a rep:",
    "  `customer_owner_name_key`) in order and probes the materialised matches (35 ms).",
    "- **What is left** is mostly Python: a page of 50 costs about 12 ms in",
    "  `prefetch_related` (emails, phones, tags: Django builds a queryset per customer and",
    "  relation), and the list template about 25 ms (an `{% include %}` and several",
    "  `{% url %}` per row), whatever the number of customers.",
    "",
]


if __name__ == "__main__":
    main()
