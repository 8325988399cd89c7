"""The coverage page: who heard from us in the last 30 days, month by month, and who not.

Every figure is over customers_visible_to(user): a rep sees their own customers, owners
and managers everyone's (and a table by owner).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

# The Value pages' chart geometry: the same frame, bars and ticks, drawn by our template.
from lifelong.charts import Bar, BarChart, Frame, Tick
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.touches import coverage as cov

LIST_SHOWN = 20


def month_chart(months: list[cov.MonthShare], frame: Frame | None = None) -> BarChart:
    """One bar per month on a 0-100% axis; the current month's bar is marked partial."""
    f = frame or Frame(width=800, height=250, left=48, bottom=32, top=20)
    n = len(months)
    slot = (f.x1 - f.x0) / max(n, 1)
    bars, x_ticks = [], []
    for i, m in enumerate(months):
        share = m.share or 0.0
        h = (f.y0 - f.y1) * share
        if m.share is None:
            title = f"{m.label}: no customers yet"
        else:
            title = f"{m.label}: {m.touched:,} of {m.customers:,} customers touched ({share:.0%})"
        bars.append(
            Bar(
                x=round(f.x0 + i * slot + slot * 0.15, 2),
                y=round(f.y0 - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                label="" if m.share is None else f"{share:.0%}",
                title=title,
                css="partial" if m.partial else "",
            )
        )
        # The year under the first bar and under January: "Jan \u201925".
        start = m.start
        tick = f"{start:%b}" if start.month != 1 and i else f"{start:%b} \u2019{start:%y}"
        x_ticks.append(Tick(round(f.x0 + (i + 0.5) * slot, 2), tick))
    y_ticks = [Tick(f.y(t / 4), f"{t * 25}%") for t in range(5)]
    return BarChart(f, bars, x_ticks, y_ticks)


@dataclass(frozen=True)
class ListRow:
    customer: Customer
    days: int | None  # since the last touch; None when never touched


def _rows(items: list[Customer], now: dt.datetime) -> list[ListRow]:
    return [
        ListRow(c, (now - c.last_touched_at).days if c.last_touched_at else None) for c in items
    ]


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    customers = customers_visible_to(request.user)
    report = cov.coverage(customers, now)
    context: dict = {"report": report, "goal": cov.GOAL, "window_days": cov.WINDOW_DAYS}
    if report.total.count:
        months = cov.monthly(customers, now, tz=request.business.tzinfo)
        never = cov.never_touched(customers, LIST_SHOWN)
        silent = cov.longest_untouched(customers, LIST_SHOWN, now=now)
        chart = month_chart(months)
        context |= {
            "months": months,
            "chart": chart,
            # Each bar with its tick, whose position is the bar's middle (for its label).
            "columns": list(zip(chart.bars, chart.x_ticks, strict=True)),
            "never": never,
            "never_rows": _rows(never.items, now),
            "silent": silent,
            "silent_rows": _rows(silent.items, now),
            "show_owners": request.user.sees_all_customers,
            "list_url": reverse("customers:list") + "?sort=touched",
        }
    return render(request, "touches/coverage.html", context)
