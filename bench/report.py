"""What the benches' reports share: the machine they ran on, and writing one section.

docs/benchmarks.md holds one section per bench, each between its own markers:

    <!-- customers-bench:start (written by bench/customers.py) -->
    …
    <!-- customers-bench:end -->

A bench rewrites its own section and leaves the rest of the file alone.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

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
