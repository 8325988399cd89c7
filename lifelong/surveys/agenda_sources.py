"""The agenda's survey items: a recovery call after a low score.

survey_recovery — a customer gave a low score (an NPS detractor, 0-6, or 1-2 in a
satisfaction survey) in the last 30 days and nobody has followed it up: "Scored 4 in the
NPS survey — call to put it right". Done logs the touch and marks the response followed
up; snooze hides it until a day; dismiss hides it for good. Changing the answer to a
better score takes it off the agenda. (Promoters' referral asks are the referrals app's.)
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404

from lifelong.agenda.items import Action, Day, Item, customer_ref, item_for, of_customers, rank_key
from lifelong.customers.models import Customer
from lifelong.surveys import services
from lifelong.surveys.models import Kind, Response

RECOVERY_DAYS = 30


def _label(response: Response) -> str:
    survey = response.invitation.survey
    return "the NPS survey" if survey.kind == Kind.NPS else f"the survey “{survey.name}”"


def recovery_items(customers: QuerySet[Customer], day: Day, limit: int, exact: bool) -> list[Item]:
    """Low scores of the last 30 days (`exact`: given on that day) not yet followed up,
    dismissed or snoozed past `day`, best first."""
    since = day.start if exact else day.start - dt.timedelta(days=RECOVERY_DAYS)
    rows = (
        of_customers(Response.objects.filter(services.low_score_q()), customers)
        .filter(
            submitted_at__gte=since,
            submitted_at__lt=day.end,
            followed_up_at__isnull=True,
            recovery_dismissed_at__isnull=True,
        )
        .filter(Q(recovery_snoozed_until__isnull=True) | Q(recovery_snoozed_until__lte=day.today))
        .select_related("customer__owner", "invitation__survey")
        .order_by("-customer__value_rank", "submitted_at", "id")[:limit]
    )
    tz = day.start.tzinfo
    items = []
    for r in rows:
        title = f"Scored {r.score} in {_label(r)}"
        items.append(
            item_for(
                r.customer,
                kind="survey_recovery",
                key=f"survey_recovery:{r.pk}",
                due=r.submitted_at.astimezone(tz).date(),
                title=title,
                reason_title=f"{title} — call to put it right",
                today=day.today,
                tz=tz,
                extra={"response_id": r.pk, "score": r.score, "comment": r.comment[:200]},
            )
        )
    items.sort(key=rank_key)
    return items


def recovery_action(a: Action) -> str:
    if not a.ref.isdigit():
        raise ValueError(f"{a.ref!r} is not a survey response.")
    response = Response.objects.select_related("invitation__survey").filter(pk=int(a.ref)).first()
    if response is None:
        raise Http404("No such item")
    customer = customer_ref(a.user, str(response.customer_id))  # Http404 when not theirs
    response.customer = customer
    name = customer.display_name
    if a.action == "done":
        services.mark_followed_up(response, user=a.user, channel=a.channel, note=a.note)
        return f"Logged the follow-up with {name} on their score of {response.score}."
    if a.action == "snooze":
        until = a.today + dt.timedelta(days=a.days)
        services.snooze_recovery(response, until)
        return f"Following up {name}'s score: snoozed until {until:%A %-d %B}."
    services.dismiss_recovery(response)
    return f"Not following up {name}'s score of {response.score}."


SOURCES = [("survey_recovery", recovery_items, recovery_action)]
