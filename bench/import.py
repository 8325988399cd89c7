"""Benchmark: importing a customer CSV (1M rows, target under two minutes on SQLite)
and a purchases CSV, through the commands the product has.

    python bench/import.py [--sizes 100000,1000000] [--purchases 1000000]
                           [--postgres postgres://user@host:5432/dbname] [--no-sqlite]
                           [--profile] [--report docs/benchmarks.md]
    python bench/import.py --dir DIR --rewrite "COMMAND"   # the report of DIR's last run

For each size it writes a realistic customer CSV under var/bench/ (names with
diacritics, emails, phones, companies, cities, birthdays, some without a year, tags on
some rows, a customer number), builds a fresh database (SQLite under var/bench/, or
<dbname>_import_<size> on PostgreSQL), and runs `lifelong import customers FILE.csv
--no-progress` in it (call_command, in a child process of its own, as the CLI does),
timed on the wall clock and in CPU seconds. The importer's own split (reading and
checking rows, duplicate lookups, inserts, search terms, occasions, commits) comes from
the report it returns (ImportReport.timings). Then, in the database of the largest size,
`lifelong import purchases FILE.csv` of --purchases rows (customers by customer number).
Results go to docs/benchmarks.md, between the import-bench markers.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import json
import os
import pstats
import random
import resource
import shlex
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import child_result, markers, parse_sizes, postgres_url, write_section
from report import machine as describe_machine  # bench/report.py

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_SIZES = "100000"
TARGET_SECONDS = 120  # a million customers in under two minutes (issue 6)

FIRST = [
    "Anna", "Björn", "Åsa", "Erik", "Märta", "Sören", "Zoë", "François", "Łukasz", "Inés",
    "José", "Chloé", "Ingrid", "Jürgen", "Noémie", "Olof", "Sofía", "Håkan", "Maja", "Lars",
    "Dagný", "Þóra", "Mateo", "Aino", "Kristján", "Renée", "Nils", "Elin", "Oskar", "Ebba",
]  # fmt: skip
LAST = [
    "Andersson", "Johansson", "Müller", "Öberg", "Ångström", "Lindqvist", "García", "Núñez",
    "Dvořák", "Kowalski", "Nordström", "Bergström", "Søndergaard", "Lefèvre", "Ó Briain",
    "Karlsson", "Nilsson", "Svensson", "Håkansson", "Wójcik", "Schröder", "Eriksson",
    "van der Berg", "Whitcombe", "Petersen", "Fernández", "Dupont", "Rossi", "Björk", "Lund",
]  # fmt: skip
COMPANIES = [
    "", "", "", "Acme AB", "Nordic Café", "Bröd & Salt", "Ljusgården", "Måleri Öst",
    "Studio Åkerö", "Lindqvist Bygg", "Café Zoë", "Hälsa Nu", "Fjällvind", "Smörgås & Co",
]  # fmt: skip
CITIES = [
    "Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping", "Umeå",
    "Luleå", "Jönköping", "København", "Oslo", "Helsinki", "Berlin", "Zürich",
]  # fmt: skip
TAGS = ["vip", "newsletter", "stammkund", "wholesale", "event 2024", "sommar"]
DOMAINS = ["example.com", "mail.example.se", "post.example.org", "exempel.se", "firma.example"]
HEADER = [
    "Customer number", "First name", "Last name", "Email", "Phone", "Company", "City",
    "Birthday", "Tags",
]  # fmt: skip


def ascii_of(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def write_customers_csv(path: Path, size: int, seed: int = 1) -> None:
    """`size` customers, one a row, every email and customer number unique."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(1, size + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{ascii_of(first)}.{ascii_of(last)}.{i}@{rng.choice(DOMAINS)}"
            # Swedish mobiles, written as people write them, unique per row.
            digits, prefix = f"{i % 10_000_000:07d}", "70" if i < 10_000_000 else "73"
            phone = rng.choice(
                (f"+46 {prefix} {digits[:3]} {digits[3:5]} {digits[5:]}",
                 f"0{prefix}-{digits}", f"+46{prefix}{digits}")
            )  # fmt: skip
            roll = rng.random()
            if roll < 0.55:
                y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
                birthday = f"{y}-{m:02d}-{d:02d}"
            elif roll < 0.65:
                birthday = f"--{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"  # no year
            elif roll < 0.75:
                birthday = f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1940, 2005)}"
            else:
                birthday = ""
            tags = ""
            if rng.random() < 0.2:
                tags = ", ".join(rng.sample(TAGS, rng.randint(1, 2)))
            out.writerow(
                [f"C{i:08d}", first, last, email, phone if rng.random() < 0.8 else "",
                 rng.choice(COMPANIES), rng.choice(CITIES), birthday, tags]
            )  # fmt: skip


def write_purchases_csv(path: Path, rows: int, customers: int, seed: int = 2) -> None:
    """`rows` purchases of the first `customers` customers, a product on each."""
    rng = random.Random(seed)
    start = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    words = ["kaffe", "te", "bröd", "kaka", "ost", "äpple", "päron", "öl"] * 5
    products = [(f"SKU-{n:03d}", f"Produkt {n}: {w}") for n, w in enumerate(words)]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["customer", "date", "amount", "sku", "product", "quantity", "reference"])
        for i in range(rows):
            sku, name = rng.choice(products)
            when = start + dt.timedelta(minutes=rng.randint(0, 4 * 365 * 24 * 60))
            out.writerow(
                [f"C{rng.randint(1, customers):08d}", when.strftime("%Y-%m-%d %H:%M"),
                 f"{rng.randint(20, 4000)}.{rng.randint(0, 99):02d}", sku, name,
                 rng.randint(1, 3), f"R{i}"]
            )  # fmt: skip


# ---------------------------------------------------------------- parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"default {DEFAULT_SIZES}")
    parser.add_argument("--purchases", type=int, default=1_000_000, help="purchase rows (0: none)")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="cProfile the customer import")
    parser.add_argument(
        "--report", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for none"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default=str(BENCH_DIR), help="where files and databases go")
    parser.add_argument(
        "--rewrite",
        metavar="COMMAND",
        help="run nothing: write the report of the last run's results in --dir, "
        "naming COMMAND as the command that produced them",
    )
    # Internal: one database in this process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return
    sizes = parse_sizes(args.sizes)
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    if args.rewrite:
        results = json.loads((directory / "import-results.json").read_text())
        start, end = markers("import")
        write_section(Path(args.report), "import", report(results, args.rewrite, start, end))
        return
    backends = [] if args.no_sqlite else ["SQLite"]
    if args.postgres:
        backends.append("PostgreSQL")
    results = []
    for backend in backends:
        for n, size in enumerate(sizes):
            last = n == len(sizes) - 1
            url = database_url(backend, args.postgres, size, directory)
            result = run_child(args, size, url, purchases=args.purchases if last else 0)
            result["backend"] = backend
            results.append(result)
            print(json.dumps(result, indent=1), flush=True)
    (directory / "import-results.json").write_text(json.dumps(results, indent=1))
    command = "python bench/import.py " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    if args.report != "-":
        start, end = markers("import")
        write_section(Path(args.report), "import", report(results, command, start, end))


def database_url(backend: str, base_url: str | None, size: int, directory: Path) -> str:
    if backend == "SQLite":
        return f"sqlite:///{directory / f'import-{size}.sqlite3'}"
    assert base_url
    return postgres_url(base_url, f"_import_{size}")


def run_child(args: argparse.Namespace, size: int, url: str, *, purchases: int) -> dict:
    flags = [
        "--size", str(size), "--url", url, "--seed", str(args.seed),
        "--purchases", str(purchases), "--dir", args.dir,
    ]  # fmt: skip
    if args.profile:
        flags.append("--profile")
    return child_result(__file__, flags)


# ---------------------------------------------------------------- child


def fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def cpu_seconds() -> float:
    """CPU seconds of this process and of the processes it has waited for (the import's
    row-checking process)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def timed_command(*args: str, profile: Path | None = None) -> dict[str, Any]:
    """Run `lifelong <args>` in this process; wall and CPU seconds, and its exit status."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    status = 0
    profiler = cProfile.Profile() if profile else None
    cpu, started = cpu_seconds(), time.monotonic()
    if profiler:
        profiler.enable()
    try:
        call_command(*args)
    except CommandError as e:
        status = e.returncode
    finally:
        if profiler:
            profiler.disable()
    seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
    if profiler and profile:
        profiler.dump_stats(str(profile))
        pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(40)
    return {"seconds": seconds, "cpu": cpu, "status": status}


def child(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = args.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "lifelong.settings"
    os.environ["LIFELONG_DEBUG"] = "0"  # no query log in memory, as in production
    sys.path.insert(0, str(ROOT))
    directory = Path(args.dir)
    fresh_database(args.url)
    customers_csv = directory / f"customers-{args.size}.csv"
    if not customers_csv.exists():
        started = time.monotonic()
        write_customers_csv(customers_csv, args.size, args.seed)
        print(f"Wrote {customers_csv} in {time.monotonic() - started:.0f} s", flush=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from lifelong.accounts.models import Role, User
    from lifelong.customers.models import Customer
    from lifelong.imports import services

    User.objects.create_user("owner", password="x" * 16, role=Role.OWNER)
    captured: dict[str, Any] = {}
    original = services.import_customers

    def keep_report(*a: Any, **kw: Any) -> Any:
        captured["report"] = report = original(*a, **kw)
        return report

    services.import_customers = keep_report  # the CLI looks it up in services' module
    import lifelong.imports.cli as cli

    cli.import_customers = keep_report
    result: dict[str, Any] = {
        "size": args.size,
        "file_mb": customers_csv.stat().st_size / 1e6,
        "load_before": os.getloadavg()[0],
    }
    profile = directory / f"import-{args.size}.prof" if args.profile else None
    result["customers"] = timed_command(
        "import", "customers", str(customers_csv), "--no-progress", profile=profile
    )
    result["load_after"] = os.getloadavg()[0]
    report = captured.get("report")
    result["created"] = report.created if report else None
    result["rejected"] = len(report.rejected) if report else None
    result["timings"] = getattr(report, "timings", {}) if report else {}
    result["customers_in_db"] = Customer.objects.count()
    if args.purchases:
        purchases_csv = directory / f"purchases-{args.purchases}-{args.size}.csv"
        if not purchases_csv.exists():
            started = time.monotonic()
            write_purchases_csv(purchases_csv, args.purchases, args.size, args.seed + 1)
            print(f"Wrote {purchases_csv} in {time.monotonic() - started:.0f} s", flush=True)
        result["purchases_rows"] = args.purchases
        result["purchases_load_before"] = os.getloadavg()[0]
        result["purchases"] = timed_command(
            "import", "purchases", str(purchases_csv), "--no-progress"
        )
        result["purchases_load_after"] = os.getloadavg()[0]
        from lifelong.commerce.models import Purchase

        result["purchases_in_db"] = Purchase.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SHOW server_version")
            result["server_version"] = c.fetchone()[0]
    Path(args.result).write_text(json.dumps(result))


# ---------------------------------------------------------------- the report


def report(results: list[dict[str, Any]], command: str, start: str, end: str) -> str:
    lines = [start, "## Importing customers and purchases", ""]
    lines.append(f"`{command}`, run {dt.datetime.now(dt.UTC).date().isoformat()}.")
    lines.append("")
    info = describe_machine()
    pg = next((r.get("server_version") for r in results if r.get("server_version")), None)
    if pg:
        info["PostgreSQL"] = pg
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines.append("")
    lines.append(
        "Each figure is one run of the command into a fresh database, on the wall clock "
        "(CPU seconds beside it, of both processes: a large customer file is read and "
        "checked in a second process while the first writes); the machine is shared, so "
        "the load average (1 minute) before and after each run is given. The phases are "
        "the writing process's."
    )
    lines += [
        "",
        "| Database | Rows | Wall | CPU | Rows/s | Load | Read & check | Duplicates | Inserts "
        "| Search terms | Occasions | Commits |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c, t = r["customers"], r.get("timings") or {}
        lines.append(
            f"| {r['backend']} | {r['size']:,} customers | {c['seconds']:.1f} s | "
            f"{c['cpu']:.1f} s | {r['size'] / c['seconds']:,.0f} | "
            f"{r['load_before']:.1f} → {r['load_after']:.1f} | "
            + " | ".join(
                f"{t[k]:.1f} s" if k in t else "n/a"
                for k in ("read", "duplicates", "insert", "search_terms", "occasions", "commit")
            )
            + " |"
        )
    for r in results:
        if r.get("purchases"):
            p = r["purchases"]
            lines.append(
                f"| {r['backend']} | {r['purchases_rows']:,} purchases | {p['seconds']:.1f} s | "
                f"{p['cpu']:.1f} s | {r['purchases_rows'] / p['seconds']:,.0f} | "
                f"{r['purchases_load_before']:.1f} → {r['purchases_load_after']:.1f} "
                "| | | | | | |"
            )
    lines.append("")
    lines.append(
        "Read & check: waiting for checked rows, receiving them and checking them across "
        "rows (parsing and each row's own checks run in the second process; the command's "
        "reading and decoding of the file is the rest of the wall time); duplicates: "
        "looking each batch's rows up by external id, email and phone; inserts: "
        "customers (with their keep-in-touch dates), emails, phones, tags and answers; "
        "search terms: inserting them; occasions: inserting the birthdays' and "
        "anniversaries' occasions; commits: ending the import's transactions, about one "
        "every 2 s (the WAL's fsync and checkpoints). Purchases: `lifelong import "
        "purchases` into the database of the largest size, each row naming one of its "
        "customers by customer number, with a product, a quantity and a reference."
    )
    lines.append("")
    million = [r for r in results if r["backend"] == "SQLite" and r["size"] >= 1_000_000]
    for r in million:
        s = r["customers"]["seconds"]
        verdict = "met" if s < TARGET_SECONDS else "**not met**"
        lines.append(
            f"Target (1,000,000 customers in under {TARGET_SECONDS} s on SQLite): {verdict}, "
            f"{s:.0f} s."
        )
    lines.append("")
    lines.append("Where the time goes: docs/import.md, Speed.")
    lines.append(end)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
