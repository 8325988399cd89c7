"""Server-side SVG charts for the Value pages: coordinates here, markup in the templates.

Each function turns numbers into the geometry one chart needs (a path, bars, ticks) in a
fixed viewBox; the SVG scales with its container. No JavaScript, no chart library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lifelong.value.models import HoldoutTable
from lifelong.value.services import Histogram, ParetoCurve, nice_number


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


@dataclass(frozen=True)
class ParetoChart:
    frame: Frame
    path: str
    area: str
    diagonal: str
    marker_x: float
    marker_y: float
    marker_label: str
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def pareto_chart(curve: ParetoCurve, frame: Frame | None = None) -> ParetoChart:
    """The cumulative revenue share against the share of customers, with the top-20% point
    marked and the diagonal a business would have if every customer bought alike."""
    f = frame or Frame()
    points = [
        (f.x(c), f.y(r)) for c, r in zip(curve.customer_share, curve.revenue_share, strict=True)
    ]
    path = "M " + " L ".join(f"{x},{y}" for x, y in points)
    area = path + f" L {f.x1},{f.y0} L {f.x0},{f.y0} Z"
    ticks = [i / 4 for i in range(5)]
    return ParetoChart(
        frame=f,
        path=path,
        area=area,
        diagonal=f"M {f.x0},{f.y0} L {f.x1},{f.y1}",
        marker_x=f.x(curve.top),
        marker_y=f.y(curve.top_share),
        marker_label=f"{curve.top:.0%} bring {curve.top_share:.0%}",
        x_ticks=[Tick(f.x(t), f"{t:.0%}") for t in ticks],
        y_ticks=[Tick(f.y(t), f"{t:.0%}") for t in ticks],
    )


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


def _axis(f: Frame, largest: float, fmt) -> tuple[float, list[Tick]]:
    """A value axis from 0 in round steps (about four of them) covering `largest`:
    (the axis maximum, its ticks)."""
    step = nice_number(max(largest, 1e-9) / 4)
    top = step * max(1, int(np.ceil(largest / step - 1e-9)))
    count = round(top / step)
    return top, [Tick(f.y(i / count), fmt(step * i)) for i in range(count + 1)]


def histogram_chart(hist: Histogram, currency: str = "", frame: Frame | None = None) -> BarChart:
    """Customers per two-year-CLV bin; the last bar also counts the long tail."""
    f = frame or Frame()
    counts = hist.counts.astype(float)
    counts[-1] += hist.overflow
    top, y_ticks = _axis(f, float(counts.max()), lambda v: f"{v:,.0f}")
    n = counts.size
    slot = (f.x1 - f.x0) / n
    bars = []
    for i, count in enumerate(counts):
        lo, hi = hist.edges[i], hist.edges[i + 1]
        more = " or more" if i == n - 1 and hist.overflow else ""
        title = f"{int(count):,} customers with {short_money(lo)} to {short_money(hi)}{more}"
        h = (f.y0 - f.y1) * count / top
        bars.append(
            Bar(
                x=round(f.x0 + i * slot + 1, 2),
                y=round(f.y0 - h, 2),
                width=round(slot - 2, 2),
                height=round(h, 2),
                label=str(int(count)),
                title=title,
            )
        )
    step = max(1, int(np.ceil(n / 5)))
    x_ticks = [
        Tick(round(f.x0 + i * slot, 2), f"{currency}{short_money(hist.edges[i])}")
        for i in range(0, n + 1, step)
    ]
    return BarChart(f, bars, x_ticks, y_ticks)


def holdout_chart(table: HoldoutTable, frame: Frame | None = None) -> BarChart:
    """Mean actual and predicted holdout purchases per calibration frequency, side by side
    (drawn wide: the chart spans the page)."""
    f = frame or Frame(width=1100, height=320)
    n = table.frequency.size
    largest = float(max(table.actual_mean.max(), table.predicted_mean.max(), 0.1))
    top, y_ticks = _axis(f, largest, lambda v: f"{v:g}")
    slot = (f.x1 - f.x0) / n
    width = slot * 0.36
    bars = []
    for i in range(n):
        series = ((table.actual_mean, "actual"), (table.predicted_mean, "predicted"))
        for j, (values, name) in enumerate(series):
            h = (f.y0 - f.y1) * float(values[i]) / top
            bars.append(
                Bar(
                    x=round(f.x0 + i * slot + slot * 0.14 + j * width, 2),
                    y=round(f.y0 - h, 2),
                    width=round(width, 2),
                    height=round(h, 2),
                    label=f"{values[i]:.2f}",
                    title=(
                        f"{table.label[i]} purchases before: {values[i]:.2f} {name} "
                        f"per customer ({int(table.n_customers[i]):,} customers)"
                    ),
                    css=name,
                )
            )
    x_ticks = [Tick(round(f.x0 + (i + 0.5) * slot, 2), str(table.label[i])) for i in range(n)]
    return BarChart(
        f,
        bars,
        x_ticks,
        y_ticks,
        legend=[("actual", "Actual"), ("predicted", "Predicted")],
    )


def heat(count: int, largest: int) -> float:
    """Opacity 0.06-1 for an RFM cell, by its share of the largest cell (square root, so
    that small cells still show)."""
    if largest <= 0 or count <= 0:
        return 0.0
    return round(0.06 + 0.94 * (count / largest) ** 0.5, 3)
