"""What the benches share: running one size in a child process, the machine they ran on,
and writing one section of the report.

docs/benchmarks.md holds one section per bench, each between its own markers:

    <!-- customers-bench:start (written by bench/customers.py) -->
    …
    <!-- customers-bench:end -->

A bench rewrites its own section and leaves the rest of the file alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of bench `name`'s section ("agenda": bench/agenda.py)."""
    return (
        f"<!-- {name}-bench:start (written by bench/{name}.py) -->",
        f"<!-- {name}-bench:end -->",
    )


def write_section(path: Path, name: str, section: str, *, first: bool = False) -> None:
    """Put `section` (which starts and ends with the markers of `name`) in the file at
    `path` in place of what was between those markers; without them, at the end (with
    `first`: at the start). Every other section stays as it is."""
    start, end = markers(name)
    start = start.split(" (", 1)[0]  # whoever wrote it
    text = path.read_text() if path.exists() else ""
    section = section.strip("\n") + "\n"
    if start in text and end in text[text.index(start) :]:
        before = text[: text.index(start)]
        rest = text[text.index(start) :]
        after = rest[rest.index(end) + len(end) :].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    elif not text.strip():
        text = section
    elif first:
        text = section + "\n" + text.lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def machine() -> dict[str, str]:
    """CPU, cores, RAM, OS and the versions every bench depends on."""
    import sqlite3

    import django

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "SQLite": sqlite3.sqlite_version,
    }


# ---------------------------------------------------------------- running sizes in children


def parse_sizes(text: str) -> list[int]:
    """ "100_000,1000000" -> [100000, 1000000]."""
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def targets(args: argparse.Namespace) -> list[tuple[str, str | None, list[int]]]:
    """(backend, PostgreSQL base URL, sizes) for --sizes, --no-sqlite, --postgres and
    --postgres-sizes."""
    found: list[tuple[str, str | None, list[int]]] = []
    if not args.no_sqlite:
        found.append(("SQLite", None, parse_sizes(args.sizes)))
    if args.postgres:
        found.append(("PostgreSQL", args.postgres, parse_sizes(args.postgres_sizes or args.sizes)))
    return found


def postgres_url(base_url: str, suffix: str) -> str:
    """The server of `base_url`, database <its name (or "bench")><suffix>: one per size."""
    parts = urlsplit(base_url)
    name = (parts.path.strip("/") or "bench") + suffix
    return urlunsplit(parts._replace(path="/" + name))


def child_result(script: str, flags: list[str]) -> dict[str, Any]:
    """Run `script --child --result FILE *flags` in a fresh interpreter (a size's memory
    and caches do not leak into the next) and return what it wrote to FILE."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        result_path = f.name
    command = [sys.executable, script, "--child", "--result", result_path, *flags]
    subprocess.run(command, check=True)
    try:
        return json.loads(Path(result_path).read_text() or "{}")
    finally:
        os.unlink(result_path)
