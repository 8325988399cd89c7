"""The kept-rate sparkline: 12 months of kept-rate as a small server-side SVG line.

Geometry from lifelong/charts.py (Frame); the markup is promises/_sparkline.html. A month
with nothing decided has no rate: the line breaks there rather than drawing a zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifelong.charts import Frame
from lifelong.promises.services import Month

SPARK = Frame(width=120, height=28, left=2, right=2, top=3, bottom=3)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Sparkline:
    frame: Frame
    lines: list[str]  # SVG polyline "points", one per run of months with a rate
    dots: list[Dot]
    title: str

    @property
    def empty(self) -> bool:
        return not self.dots


def sparkline(months: list[Month], frame: Frame = SPARK) -> Sparkline:
    """A point per month with a decided promise, at its kept-rate on a 0..100% axis."""
    n = len(months)
    lines: list[str] = []
    run: list[str] = []
    dots: list[Dot] = []
    for i, month in enumerate(months):
        rate = month.rate.rate
        if rate is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        x = frame.x(i / (n - 1)) if n > 1 else frame.x(0.5)
        y = frame.y(rate)
        run.append(f"{x},{y}")
        r = month.rate
        dots.append(
            Dot(x, y, f"{month.label}: {rate:.0%} kept ({r.kept + r.kept_late} of {r.decided})")
        )
    if run:
        lines.append(" ".join(run))
    if dots:
        title = f"Kept-rate by month, {months[0].label} to {months[-1].label}"
    else:
        title = "Nothing decided in the last 12 months"
    return Sparkline(frame, lines, dots, title)
