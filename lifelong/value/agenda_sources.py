"""The agenda's at-risk items (value/risk.py): customers whose score is at least
LIFELONG_RISK["agenda_min_score"], with every reason and the action proposed:

    "At risk: P(alive) fell from 0.82 to 0.55; no contact for 47 days, due every 30 —
     Anna Berg (tier A) — last touch 47 days ago"

Ranked like every agenda item, value decile first, then the risk score within it. Done
logs the touch (the check-in) and hides the item for LIFELONG_RISK["done_quiet_days"];
snooze hides it for the days chosen; dismiss for "dismiss_days". The scores are those
stored by the last risk refresh (risk.refresh_risk, nightly): the source reads the first
`limit` rows by rank, a constant number of queries however many customers are at risk.
A customer touched since that refresh drops out until the next one (the touch may have
answered the reasons); otherwise the item is at most a day old. A customer comes back
after a mark expires only if the refresh then still finds them at risk.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from lifelong.agenda.items import Action, Day, Item, customer_ref, item_for, of_customers, rank_key
from lifelong.customers.models import Customer
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch
from lifelong.value import risk
from lifelong.value.records import RiskMark, RiskScore


def at_risk_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Customers at risk today (nothing on the later days of the weekly plan), best first."""
    if exact:
        return []
    cfg = risk.risk_settings()
    hidden = RiskMark.objects.filter(customer=OuterRef("customer"), hidden_until__gt=day.today)
    # agenda_rank (value decile + 0.999 x score) is empty below the agenda's threshold.
    rows = (
        of_customers(RiskScore.objects.filter(agenda_rank__isnull=False), customers)
        .filter(score__gte=cfg["agenda_min_score"] - 1e-12)
        .exclude(Exists(hidden))
        .filter(
            Q(customer__last_touched_at__isnull=True)
            | Q(customer__last_touched_at__lte=F("computed_at"))
        )
        .select_related("customer", "customer__owner")
        .order_by("-agenda_rank", "-value_at_stake", "customer_id")[:limit]
    )
    items = []
    for r in map(risk.risk_from_row, rows):
        c = r.customer
        title = f"At risk: {r.reason_text}"
        item = item_for(
            c,
            kind="at_risk",
            key=f"at_risk:{c.pk}",
            due=day.today,
            title=title,
            today=day.today,
            tz=day.tz,
            extra={
                "score": r.score,
                "reasons": r.reasons,
                "signals": r.signals,
                "value_at_stake": r.value_at_stake,
                "action": r.action,
            },
        )
        items.append(dataclasses.replace(item, score=c.value_rank + 0.999 * r.score))
    items.sort(key=rank_key)
    return items


def hide(customer: Customer, until: dt.date, action: str) -> None:
    RiskMark.objects.update_or_create(
        customer=customer, defaults={"hidden_until": until, "action": action}
    )


def at_risk_action(a: Action) -> str:
    customer = customer_ref(a.user, a.ref)
    name = customer.display_name
    cfg = risk.risk_settings()
    if a.action == "done":
        log_touch(
            customer,
            user=a.user,
            channel=a.channel,
            summary=a.note or "Checked in: they looked at risk (from Today)",
        )
        hide(customer, a.today + dt.timedelta(days=cfg["done_quiet_days"]), "done")
        return f"Logged the {Channel(a.channel).label.lower()} with {name}."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        hide(customer, until, "snooze")
        return f"{name} (at risk) is snoozed until {until:%A %-d %B}."
    until = a.today + dt.timedelta(days=cfg["dismiss_days"])
    hide(customer, until, "dismiss")
    return f"Dismissed: {name} stays off the at-risk list until {until:%-d %B}."


SOURCES = [("at_risk", at_risk_items, at_risk_action)]
