"""Server-side SVG charts: the geometry (a frame, bars, ticks) that templates draw.

Numbers in, coordinates out, in a fixed viewBox that scales with its container; the
markup is in the templates. No JavaScript, no chart library. The Value pages and the
coverage report build their charts on these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


def nice_number(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times 10^k at or above `value` (for bins and axes)."""
    if value <= 0 or not np.isfinite(value):
        return 1.0
    base = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * base >= value * (1 - 1e-9):
            return float(step * base)
    return float(10 * base)


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str
    css: str = ""


@dataclass(frozen=True)
class Frame:
    """The plot area inside a `width` by `height` viewBox."""

    width: int = 640
    height: int = 300
    left: int = 56
    right: int = 16
    top: int = 16
    bottom: int = 40

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top

    def x(self, share: float) -> float:
        return round(self.x0 + share * (self.x1 - self.x0), 2)

    def y(self, share: float) -> float:
        return round(self.y0 - share * (self.y0 - self.y1), 2)


def short_money(value: float) -> str:
    """12_345 -> "12.3k", 1_250_000 -> "1.25M": for axis labels."""
    value = float(value)
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}" if value == round(value) else f"{value:.3g}"


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[tuple[str, str]] = field(default_factory=list)


def value_axis(f: Frame, largest: float, fmt: Callable[[float], str]) -> tuple[float, list[Tick]]:
    """A value axis from 0 in round steps (about four of them) covering `largest`:
    (the axis maximum, its ticks)."""
    step = nice_number(max(largest, 1e-9) / 4)
    top = step * max(1, int(np.ceil(largest / step - 1e-9)))
    count = round(top / step)
    return top, [Tick(f.y(i / count), fmt(step * i)) for i in range(count + 1)]
