"""Demo surveys: an NPS survey answered over the past year by a share of the customers
(promoters, passives and detractors, some with comments), and a program that sends it."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery

from lifelong.accounts.models import Business
from lifelong.customers.cadence import recompute_due
from lifelong.customers.models import Customer
from lifelong.outreach.models import Program, Template
from lifelong.outreach.programs import save_program
from lifelong.outreach.rendering import ensure_starter_templates
from lifelong.segments.models import Segment
from lifelong.surveys.models import Invitation, Kind, Response, Survey, new_token
from lifelong.surveys.services import summary_of
from lifelong.touches.models import Channel, Direction, Touch

SURVEY_NAME = "Customer satisfaction (NPS)"
SHARE_INVITED = 0.35
MAX_INVITED = 2000
ANSWER_RATE = 0.6
# Scores 0..10, weighted like a business its customers mostly like.
WEIGHTS = [1, 1, 2, 3, 4, 6, 8, 12, 18, 22, 23]
COMMENTS = {
    "promoter": [
        "Always quick to answer and easy to deal with.",
        "You remembered my daughter's birthday. Nobody else does that.",
        "Fair prices and you explain everything.",
        "I have already recommended you to my neighbour.",
    ],
    "passive": [
        "Good service, but it took a while to get a reply last time.",
        "Fine overall. The invoices could be clearer.",
        "Happy enough, though the prices went up.",
    ],
    "detractor": [
        "Nobody called back when I had a problem.",
        "The delivery was two weeks late and nobody told me.",
        "I feel like I only hear from you when you want to sell something.",
        "Too expensive for what I get.",
    ],
}


def ensure_demo_survey() -> Survey:
    survey = Survey.objects.filter(name=SURVEY_NAME).first()
    return survey or Survey.objects.create(name=SURVEY_NAME, kind=Kind.NPS)


def ensure_survey_program(survey: Survey, today: dt.date) -> Program | None:
    """ "Customer satisfaction (NPS)": a one-off to the customers who said yes to email on
    the first of next month, as drafts to review; None if a program sends it already."""
    if survey.programs.exists() or Program.objects.filter(name=SURVEY_NAME).exists():
        return None
    ensure_starter_templates()
    yes, _ = Segment.objects.get_or_create(
        name="Customers who said yes to email",
        defaults={"filters": {"status": ["customer"], "consent": "yes"}},
    )
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime(first.year, first.month, first.day, 10, tzinfo=Business.get().tzinfo)
    return save_program(
        Program(
            name=SURVEY_NAME, kind="one_off", purpose="marketing", segment=yes,
            starts_at=start, approval="drafts", survey=survey,
            template=Template.objects.get(key="survey-invitation"),
        )
    )  # fmt: skip


def _category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@transaction.atomic
def add_demo_surveys(customers: list[Customer], rng: random.Random, today: dt.date) -> int:
    """Invite about a third of `customers` (at most 2000) over the past year, about 60% of
    them answering; a tenth of the invitations are in the last fortnight, so Today shows
    recovery calls and referral asks. Adds the survey program too. Returns how many
    responses it added."""
    survey = ensure_demo_survey()
    ensure_survey_program(survey, today)
    pool = [c for c in customers if c.archived_at is None]
    if not pool:
        return 0
    chosen = rng.sample(pool, min(len(pool), MAX_INVITED, max(1, round(len(pool) * SHARE_INVITED))))
    tz = Business.get().tzinfo
    now = dt.datetime.now(tz)
    end_of_today = dt.datetime(today.year, today.month, today.day, 9, tzinfo=tz)
    invitations, answers = [], []
    for i, customer in enumerate(chosen):
        back = rng.randint(1, 13) if i < len(chosen) // 10 else rng.randint(14, 365)
        sent = min(end_of_today - dt.timedelta(days=back), now - dt.timedelta(hours=1))
        invitations.append(
            Invitation(
                survey=survey, customer=customer, occurrence=f"demo:{sent:%Y-%m-%d}:{i}",
                token=new_token(), created_at=sent, expires_at=sent + dt.timedelta(days=30),
            )
        )  # fmt: skip
        if rng.random() < ANSWER_RATE:
            score = rng.choices(range(11), weights=WEIGHTS)[0]
            at = min(sent + dt.timedelta(hours=rng.randint(1, 72)), now)
            comment = rng.choice(COMMENTS[_category(score)]) if rng.random() < 0.4 else ""
            answers.append((len(invitations) - 1, score, comment, at))
    Invitation.objects.bulk_create(invitations, batch_size=500)
    saved = {inv.occurrence: inv for inv in Invitation.objects.filter(survey=survey)}
    invitations = [saved[inv.occurrence] for inv in invitations]
    touches = [
        Touch(
            customer_id=invitations[i].customer_id,
            channel=Channel.OTHER,
            direction=Direction.INBOUND,
            occurred_at=at,
            summary=summary_of(survey, score),
            outcome=comment,
            created_at=at,
        )
        for i, score, comment, at in answers
    ]
    Touch.objects.bulk_create(touches, batch_size=500)
    by_key = {
        (t.customer_id, t.occurred_at): t.pk
        for t in Touch.objects.filter(
            customer_id__in={t.customer_id for t in touches}, channel=Channel.OTHER,
            direction=Direction.INBOUND, summary__startswith="Answered the",
        )
    }  # fmt: skip
    Response.objects.bulk_create(
        [
            Response(
                invitation=invitations[i],
                customer_id=invitations[i].customer_id,
                score=score,
                comment=comment,
                submitted_at=at,
                updated_at=at,
                touch_id=by_key.get((invitations[i].customer_id, at)),
            )
            for i, score, comment, at in answers
        ],
        batch_size=500,
    )
    answered = Customer.objects.filter(pk__in={t.customer_id for t in touches})
    latest = Touch.objects.filter(customer=OuterRef("pk")).values("customer")
    answered.update(last_touched_at=Subquery(latest.annotate(m=Max("occurred_at")).values("m")))
    recompute_due(answered)
    return len(answers)
