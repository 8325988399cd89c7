"""The agenda's "extra" items: open suggestions made when a big order came in.

"Big order (3.2x their average) — give free delivery (cost 15) — Anna Berg (tier A) —
last touch 3 days ago" (with a real times sign). Done gives it (an ExtraGiven and a gift
touch); snooze hides it until a day; dismiss declines it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.agenda.items import Action, Day, Item, customer_ref, item_for, of_customers, rank_key
from lifelong.customers.models import Customer
from lifelong.extras import services
from lifelong.extras.models import ExtraSuggestion, SuggestionStatus


def title_of(s: ExtraSuggestion) -> str:
    extra = s.rule.extra
    why = f"Big order ({s.multiple:.1f}\u00d7 their average)" if s.multiple else "Order"
    return f"{why} — give {extra.name.lower()} (cost {extra.cost.normalize():f})"


def extra_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Open suggestions made by the end of `day` (`exact`: on it), not snoozed past it."""
    rows = of_customers(
        ExtraSuggestion.objects.filter(status=SuggestionStatus.OPEN, created_at__lt=day.end),
        customers,
    ).filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=day.today))
    if exact:
        rows = rows.filter(created_at__gte=day.start)
    rows = rows.select_related("customer__owner", "rule__extra").order_by(
        "-customer__value_rank", "created_at", "id"
    )[:limit]
    items = []
    for s in rows:
        title = title_of(s)
        items.append(
            item_for(
                s.customer,
                kind="extra",
                key=f"extra:{s.pk}",
                due=s.created_at.astimezone(day.tz).date(),
                title=title,
                today=day.today,
                tz=day.tz,
                extra={"suggestion_id": s.pk, "extra": s.rule.extra.name, "rule": s.rule.name},
            )
        )
    items.sort(key=rank_key)
    return items


def suggestion_for(user: User, ref: str) -> ExtraSuggestion:
    """The open suggestion `ref` if `user` may see its customer; Http404 otherwise."""
    if not ref.isdigit():
        raise ValueError(f"{ref!r} is not a suggestion.")
    s = (
        ExtraSuggestion.objects.filter(pk=int(ref), status=SuggestionStatus.OPEN)
        .select_related("rule__extra")
        .first()
    )
    if s is None:
        raise Http404("No such item")
    s.customer = customer_ref(user, str(s.customer_id))
    return s


def extra_action(a: Action) -> str:
    s = suggestion_for(a.user, a.ref)
    name = s.customer.display_name
    extra = s.rule.extra
    if a.action == "done":
        services.give(s.customer, extra, by=a.user, note=a.note, purchase=s.purchase, suggestion=s)
        return f"Gave {name} {extra.name.lower()}, and logged it as a gift."
    if a.action == "snooze":
        s.snoozed_until = a.today + dt.timedelta(days=a.days)
        s.save(update_fields=["snoozed_until"])
        return f"Extra for {name}: snoozed until {s.snoozed_until:%A %-d %B}."
    services.decline(s)
    return f"Declined the extra for {name}."


SOURCES = [("extra", extra_items, extra_action)]
