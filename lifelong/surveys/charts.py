"""The results page's chart: NPS by month as bars on a -100..100 axis (lifelong/charts.py
geometry, drawn by surveys/_nps_chart.html). A satisfaction survey's months are bars of
the average score on a 1..5 axis."""

from __future__ import annotations

from lifelong.charts import Bar, BarChart, Frame, Tick
from lifelong.surveys.services import Group

MONTHS_SHOWN = 18


def month_chart(groups: list[Group], *, nps: bool) -> BarChart:
    """One bar per month (the last 18 with answers); positive NPS up from 0, negative down."""
    groups = groups[-MONTHS_SHOWN:]
    f = Frame(width=720, height=260, left=48, right=12, top=20, bottom=36)
    low, high = (-100.0, 100.0) if nps else (0.0, 5.0)
    span = high - low

    def y(v: float) -> float:
        return f.y((v - low) / span)

    base = y(0.0)
    slot = (f.x1 - f.x0) / max(len(groups), 1)
    bars, x_ticks = [], []
    for i, g in enumerate(groups):
        if nps:
            value, n = g.nps.score, g.nps.total
            shown = "" if value is None else f"{value:.0f}"
            title = f"{g.label}: NPS {shown} from {n} answer{'s' if n != 1 else ''}"
        else:
            value, n = g.satisfaction.average, g.satisfaction.count
            shown = "" if value is None else f"{value:.1f}"
            title = f"{g.label}: average {shown} from {n} answer{'s' if n != 1 else ''}"
        value = value or 0.0
        top, bottom = (y(value), base) if value >= 0 else (base, y(value))
        x = f.x0 + i * slot
        bars.append(
            Bar(
                x=round(x + slot * 0.18, 2),
                y=round(top, 2),
                width=round(slot * 0.64, 2),
                height=round(max(bottom - top, 0.0), 2),
                label=shown,
                title=title,
                css="neg" if value < 0 else "pos",
            )
        )
        start = g.start
        label = (
            g.label
            if start is None
            else f"{start:%b}"
            if start.month != 1 and i
            else f"{start:%b} \u2019{start:%y}"
        )
        x_ticks.append(Tick(round(x + slot / 2, 2), label))
    steps = [-100, -50, 0, 50, 100] if nps else [0, 1, 2, 3, 4, 5]
    y_ticks = [Tick(y(float(v)), f"{v}") for v in steps]
    return BarChart(f, bars, x_ticks, y_ticks)
