"""Write actions and queries for surveys: saving a survey, invitations and their links,
answering (one response per invitation, logged once as an inbound touch), and the
figures of the results page (NPS overall, by month, tier and owner).

NPS = % promoters (9-10) - % detractors (0-6) of the NPS responses, from -100 to 100.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.template import Context, TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone

from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer
from lifelong.surveys.models import (
    FollowUpKind,
    Invitation,
    Kind,
    Response,
    Survey,
    nps_category,
    satisfaction_category,
)
from lifelong.touches.models import Channel, Direction
from lifelong.touches.services import log_touch, save_touch

MAX_FOLLOW_UPS = 5
MAX_COMMENT = 5000
MAX_ANSWER = 1000
# A low score: an NPS detractor, or a satisfaction score of 1 or 2.
NPS_LOW = 6
SATISFACTION_LOW = 2


def low_score_q(prefix: str = "") -> Q:
    """Responses with a low score (detractors), for a Response queryset (or, with
    prefix "survey_responses__", a Customer one). The at-risk signal reads this."""
    return Q(**{f"{prefix}invitation__survey__kind": Kind.NPS, f"{prefix}score__lte": NPS_LOW}) | Q(
        **{
            f"{prefix}invitation__survey__kind": Kind.SATISFACTION,
            f"{prefix}score__lte": SATISFACTION_LOW,
        }
    )


# ---------------------------------------------------------------- saving a survey


def question_text(survey: Survey, customer: Customer | None = None) -> str:
    """The question with {{ business_name }} and {{ first_name }} filled in, as plain
    text: the page escapes it where it shows it. (Escaped here as well, the public page
    showed "O&#x27;Brien" and the API's JSON "Berg &amp; Co".)"""
    from lifelong.outreach.rendering import TEXT_ENGINE

    context = {
        "business_name": Business.get().name,
        "first_name": customer.first_name if customer else "",
    }
    try:
        template = TEXT_ENGINE.from_string(survey.question)
        return str.__str__(template.render(Context(context, autoescape=False))).strip()
    except TemplateSyntaxError:
        return survey.question


def clean_follow_ups(raw: object) -> list[dict]:
    """A follow-up list checked and normalised: [{"text", "kind", "choices"}]."""
    if not isinstance(raw, list):
        raise ValidationError({"follow_ups": ["Give the follow-up questions as a list."]})
    if len(raw) > MAX_FOLLOW_UPS:
        raise ValidationError({"follow_ups": [f"At most {MAX_FOLLOW_UPS} follow-up questions."]})
    out = []
    for i, q in enumerate(raw, start=1):
        if not isinstance(q, dict) or not str(q.get("text", "")).strip():
            raise ValidationError({"follow_ups": [f"Question {i} needs its text."]})
        kind = q.get("kind", FollowUpKind.TEXT)
        if kind not in FollowUpKind.values:
            raise ValidationError(
                {"follow_ups": [f"Question {i}: kind is one of {', '.join(FollowUpKind.values)}."]}
            )
        choices = [str(c).strip() for c in q.get("choices") or [] if str(c).strip()]
        if kind == FollowUpKind.CHOICE and len(choices) < 2:
            raise ValidationError({"follow_ups": [f"Question {i} needs two choices or more."]})
        item = {"text": str(q["text"]).strip()[:300], "kind": kind}
        if kind == FollowUpKind.CHOICE:
            item["choices"] = [c[:100] for c in choices][:10]
        out.append(item)
    return out


def parse_follow_ups(text: str) -> list[dict]:
    """The survey form's follow-ups, one question a line:

    What could we do better?                    (free text)
    1-5: How quick was our reply?               (a rating)
    choice: How did you hear of us? | A friend | The web | Other
    """
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        kind = FollowUpKind.TEXT
        head, sep, rest = line.partition(":")
        if sep and head.strip().lower() in ("1-5", "choice", "text"):
            kind, line = head.strip().lower(), rest.strip()
        text_part, *choices = [p.strip() for p in line.split("|")]
        rows.append({"text": text_part, "kind": kind, "choices": choices})
    return clean_follow_ups(rows)


def follow_ups_as_text(follow_ups: list[dict]) -> str:
    lines = []
    for q in follow_ups:
        if q["kind"] == FollowUpKind.CHOICE:
            lines.append(f"choice: {q['text']} | " + " | ".join(q.get("choices", [])))
        elif q["kind"] == FollowUpKind.SCALE:
            lines.append(f"1-5: {q['text']}")
        else:
            lines.append(q["text"])
    return "\n".join(lines)


def save_survey(survey: Survey, *, by: User | None = None) -> Survey:
    """Validate and save a new or edited survey."""
    from lifelong.outreach.rendering import TEXT_ENGINE

    errors: dict[str, list[str]] = {}
    survey.name = survey.name.strip()
    survey.question = survey.question.strip()
    if not survey.name:
        errors["name"] = ["Give the survey a name."]
    if survey.kind not in Kind.values:
        errors["kind"] = [f"Choose one of: {', '.join(Kind.values)}."]
    if not survey.question:
        errors["question"] = ["Write the question."]
    else:
        try:
            TEXT_ENGINE.from_string(survey.question)
        except TemplateSyntaxError as e:
            errors["question"] = [f"The question does not read: {e}"]
    try:
        survey.follow_ups = clean_follow_ups(survey.follow_ups)
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    if by is not None and survey.created_by_id is None:
        survey.created_by = by
    survey.save()
    return survey


# ---------------------------------------------------------------- invitations


def invitation_for(survey: Survey, customer: Customer, occurrence: str) -> Invitation:
    """The customer's invitation to `survey` for `occurrence` (a program run's outbox
    key), made on first call: running a program twice gives the same link."""
    try:
        with transaction.atomic():
            invitation, _ = Invitation.objects.get_or_create(
                survey=survey, customer=customer, occurrence=occurrence
            )
    except IntegrityError:  # another worker made it a moment ago
        invitation = Invitation.objects.get(survey=survey, customer=customer, occurrence=occurrence)
    return invitation


def link_invitation(survey: Survey, customer: Customer) -> Invitation:
    """A link to send by hand (the API, the customer page): the customer's latest open
    invitation made that way, or a new one."""
    now = timezone.now()
    held = (
        Invitation.objects.filter(
            survey=survey, customer=customer, occurrence__startswith="link:", expires_at__gt=now
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if held is not None:
        return held
    return invitation_for(survey, customer, f"link:{now:%Y%m%dT%H%M%S.%f}")


def survey_url(invitation: Invitation, *, root: str | None = None) -> str:
    """The absolute link to the response page (LIFELONG_BASE_URL)."""
    from lifelong.outreach.compliance import base_url

    return (root or base_url()) + reverse("surveys:respond", args=[invitation.token])


def link_messages(invitations: QuerySet[Invitation]) -> int:
    """Point program invitations at the outbox message that carried them. The message is
    made after the invitation (the link is in it), so this runs afterwards, when needed."""
    from lifelong.outreach.models import Message

    message = Message.objects.filter(
        program__survey=OuterRef("survey"),
        customer=OuterRef("customer"),
        occurrence=OuterRef("occurrence"),
    ).values("pk")[:1]
    return (
        invitations.filter(message__isnull=True)
        .exclude(occurrence__startswith="link:")
        .update(message=Subquery(message))
    )


# ---------------------------------------------------------------- answering


def find_invitation(token: str) -> Invitation | None:
    """The invitation with this token (by token alone), or None."""
    if not token or len(token) > 64:
        return None
    return (
        Invitation.objects.select_related("survey", "customer__owner").filter(token=token).first()
    )


class SurveyClosed(Exception):
    """The survey has closed or the invitation has expired: no more answers or edits."""


def _clean_answers(survey: Survey, answers: Iterable[object]) -> list[dict]:
    given = list(answers)
    out = []
    for i, q in enumerate(survey.follow_ups):
        value = given[i] if i < len(given) else ""
        value = "" if value is None else str(value).strip()[:MAX_ANSWER]
        if value and q["kind"] == FollowUpKind.CHOICE and value not in q.get("choices", []):
            raise ValidationError({f"q{i}": ["Choose one of the answers given."]})
        if value and q["kind"] == FollowUpKind.SCALE and value not in {"1", "2", "3", "4", "5"}:
            raise ValidationError({f"q{i}": ["Choose from 1 to 5."]})
        out.append({"question": q["text"], "kind": q["kind"], "answer": value})
    return out


def summary_of(survey: Survey, score: int) -> str:
    label = "NPS survey" if survey.kind == Kind.NPS else f"survey “{survey.name}”"
    return f"Answered the {label}: {score}"


@transaction.atomic
def answer(
    invitation: Invitation,
    *,
    score: int,
    comment: str = "",
    answers: Iterable[object] = (),
    now: dt.datetime | None = None,
) -> Response:
    """Record (or change) the customer's answer to `invitation` and log it as one
    inbound touch; a change updates that touch. SurveyClosed once the survey has closed
    or the invitation expired; ValidationError for a score off the scale."""
    now = now or timezone.now()
    # Lock the invitation: two quick submits must not make two responses or two touches.
    invitation = (
        Invitation.objects.select_for_update().select_related("survey").get(pk=invitation.pk)
    )
    survey = invitation.survey
    if not invitation.is_open(now):
        raise SurveyClosed
    if score not in survey.scale:
        low, high = survey.scale[0], survey.scale[-1]
        raise ValidationError({"score": [f"Choose a score from {low} to {high}."]})
    comment = comment.strip()[:MAX_COMMENT]
    cleaned = _clean_answers(survey, answers)
    summary = summary_of(survey, score)
    outcome = comment
    customer = Customer.objects.get(pk=invitation.customer_id)
    response = Response.objects.filter(invitation=invitation).select_related("touch").first()
    if response is None:
        response = Response(invitation=invitation, customer=customer, submitted_at=now, score=score)
    response.score, response.comment, response.answers = score, comment, cleaned
    response.updated_at = now
    touch = response.touch if response.pk else None
    if touch is not None:
        touch.summary, touch.outcome = summary, outcome
        save_touch(touch)
    else:
        touch = log_touch(
            customer,
            user=None,
            channel=Channel.OTHER,
            direction=Direction.INBOUND,
            summary=summary,
            outcome=outcome,
            occurred_at=min(now, timezone.now()),
        )
    response.touch = touch
    response.save()
    return response


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Nps:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors; None without responses."""
        if not self.total:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.total

    @property
    def shown(self) -> str:
        return "—" if self.score is None else f"{self.score:+.0f}".replace("+0", "0")

    def share(self, part: int) -> float:
        return part / self.total if self.total else 0.0

    @property
    def promoter_share(self) -> float:
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float:
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float:
        return self.share(self.detractors)


def nps_of(scores: Iterable[int]) -> Nps:
    """The NPS of some 0-10 scores."""
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    for s in scores:
        counts[nps_category(s)] += 1
    return Nps(counts["promoter"], counts["passive"], counts["detractor"])


NPS_COUNTS = {
    "promoters": Count("pk", filter=Q(score__gte=9)),
    "passives": Count("pk", filter=Q(score__gte=7, score__lte=8)),
    "detractors": Count("pk", filter=Q(score__lte=6)),
}


def nps(responses: QuerySet[Response]) -> Nps:
    """The NPS of `responses` (NPS surveys' responses), counted by the database."""
    row = responses.aggregate(**NPS_COUNTS)
    return Nps(row["promoters"], row["passives"], row["detractors"])


@dataclass(frozen=True)
class Satisfaction:
    count: int = 0
    total: int = 0
    satisfied: int = 0

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.count if self.count else None


def satisfaction(responses: QuerySet[Response]) -> Satisfaction:
    from django.db.models import Sum

    row = responses.aggregate(
        n=Count("pk"), total=Sum("score"), satisfied=Count("pk", filter=Q(score__gte=4))
    )
    return Satisfaction(row["n"], row["total"] or 0, row["satisfied"])


@dataclass(frozen=True)
class Group:
    label: str
    nps: Nps = field(default_factory=Nps)
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    start: dt.date | None = None


def _grouped(survey: Survey, responses: QuerySet[Response], key: str) -> list[tuple]:
    if survey.kind == Kind.NPS:
        aggregates = NPS_COUNTS
    else:
        from django.db.models import Sum

        aggregates = {
            "n": Count("pk"),
            "total": Sum("score"),
            "satisfied": Count("pk", filter=Q(score__gte=4)),
        }
    return list(responses.values(key).annotate(**aggregates).order_by(key))


def _group(survey: Survey, label: str, row: dict, start: dt.date | None = None) -> Group:
    if survey.kind == Kind.NPS:
        return Group(
            label, nps=Nps(row["promoters"], row["passives"], row["detractors"]), start=start
        )
    return Group(
        label,
        satisfaction=Satisfaction(row["n"], row["total"] or 0, row["satisfied"]),
        start=start,
    )


def by_month(survey: Survey, responses: QuerySet[Response]) -> list[Group]:
    """One group per month with responses, in the business's time zone, oldest first."""
    tz = Business.get().tzinfo
    rows = _grouped(
        survey, responses.annotate(month=TruncMonth("submitted_at", tzinfo=tz)), "month"
    )
    found = {}
    for row in rows:
        month = row["month"]
        start = month.date() if isinstance(month, dt.datetime) else month
        found[start] = row
    groups = []
    if not found:
        return groups
    # Every month from the first answer to the last, the empty ones too: an even time axis.
    month, last = min(found), max(found)
    while month <= last:
        row = found.get(month)
        label = f"{month:%b %Y}"
        groups.append(_group(survey, label, row, month) if row else Group(label, start=month))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return groups


def by_tier(survey: Survey, responses: QuerySet[Response]) -> list[Group]:
    rows = _grouped(survey, responses.annotate(tier=F("customer__tier")), "tier")
    return [_group(survey, f"Tier {r['tier']}" if r["tier"] else "No tier", r) for r in rows]


def by_owner(survey: Survey, responses: QuerySet[Response]) -> list[Group]:
    rows = _grouped(survey, responses.annotate(owner_id=F("customer__owner")), "owner_id")
    names = {
        u.pk: u.display_name for u in User.objects.filter(pk__in=[r["owner_id"] for r in rows])
    }
    groups = [_group(survey, names.get(r["owner_id"], "—"), r) for r in rows]
    return sorted(groups, key=lambda g: g.label.lower())


@dataclass(frozen=True)
class Rate:
    invited: int
    answered: int

    @property
    def share(self) -> float | None:
        return self.answered / self.invited if self.invited else None


def invitations_sent(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    """Invitations that reached the customer as far as we know: those with no outbox
    message (links made by hand or by the API), those whose program message was sent (not
    a draft, a queued, skipped or failed one), and any that was answered. Run
    link_messages first, or a program's invitation has no message yet."""
    from lifelong.outreach.models import MessageStatus

    return invitations.filter(
        Q(message__isnull=True) | Q(message__status=MessageStatus.SENT) | Q(response__isnull=False)
    )


def response_rate(survey: Survey, customers: QuerySet[Customer]) -> Rate:
    invitations = survey.invitations.filter(customer__in=customers)
    link_messages(invitations)
    sent = invitations_sent(invitations)
    return Rate(sent.count(), invitations.filter(response__isnull=False).count())


def survey_rows(surveys: QuerySet[Survey], customers: QuerySet[Customer]) -> list[dict]:
    """Each survey with its response rate and headline figure over `customers`."""
    rows = []
    for survey in surveys:
        responses = Response.objects.filter(invitation__survey=survey, customer__in=customers)
        rows.append(
            {
                "survey": survey,
                "closed": survey.is_closed(),
                "rate": response_rate(survey, customers),
                "nps": nps(responses) if survey.kind == Kind.NPS else None,
                "satisfaction": satisfaction(responses) if survey.kind != Kind.NPS else None,
            }
        )
    return rows


def survey_responses(survey: Survey, customers: QuerySet[Customer]) -> QuerySet[Response]:
    return Response.objects.filter(invitation__survey=survey, customer__in=customers)


def category_of(survey: Survey, score: int) -> str:
    return nps_category(score) if survey.kind == Kind.NPS else satisfaction_category(score)


def responses_csv(survey: Survey, responses: QuerySet[Response]) -> str:
    """The responses as CSV: one row each, follow-up answers in their own columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    questions = [q["text"] for q in survey.follow_ups]
    writer.writerow(
        ["response_id", "customer_id", "customer", "owner", "tier", "score", "category",
         "comment", *questions, "submitted_at", "updated_at"]
    )  # fmt: skip
    rows = responses.select_related("customer__owner").order_by("submitted_at", "pk")
    for r in rows.iterator(chunk_size=1000):
        answers = {a.get("question"): a.get("answer", "") for a in r.answers or []}
        writer.writerow(
            [r.pk, r.customer_id, r.customer.display_name, r.customer.owner.display_name,
             r.customer.tier, r.score, category_of(survey, r.score), r.comment,
             *[answers.get(q, "") for q in questions],
             r.submitted_at.isoformat(), r.updated_at.isoformat()]
        )  # fmt: skip
    return out.getvalue()


# ---------------------------------------------------------------- recovery


def mark_followed_up(response: Response, *, user: User, channel: str, note: str = "") -> None:
    """The owner called (or wrote) to put a low score right: log it, and the recovery
    item leaves the agenda."""
    summary = note or f"Followed up on the survey score of {response.score}"
    log_touch(response.customer, user=user, channel=channel, summary=summary)
    response.followed_up_at = timezone.now()
    response.save(update_fields=["followed_up_at"])


def snooze_recovery(response: Response, until: dt.date) -> None:
    response.recovery_snoozed_until = until
    response.save(update_fields=["recovery_snoozed_until"])


def dismiss_recovery(response: Response) -> None:
    response.recovery_dismissed_at = timezone.now()
    response.save(update_fields=["recovery_dismissed_at"])
