"""The Value pages' charts (Pareto curve, CLV histogram, holdout check), on lifelong.charts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifelong.charts import Bar, BarChart, Frame, Tick, short_money, value_axis
from lifelong.value.models import HoldoutTable
from lifelong.value.services import Histogram, ParetoCurve


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


def histogram_chart(hist: Histogram, currency: str = "", frame: Frame | None = None) -> BarChart:
    """Customers per two-year-CLV bin; the last bar also counts the long tail."""
    f = frame or Frame()
    counts = hist.counts.astype(float)
    counts[-1] += hist.overflow
    top, y_ticks = value_axis(f, float(counts.max()), lambda v: f"{v:,.0f}")
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
    top, y_ticks = value_axis(f, largest, lambda v: f"{v:g}")
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
