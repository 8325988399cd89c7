"""Events: saving them, inviting customers through the outbox, RSVPs with a wait list,
and attendance logged as a touch.

Invitations go out as the messages of a one-off program of the event's own (made on the
first invite, purpose relationship, the "event-invitation" starter template). Each
message carries the customer's RSVP link and an iCalendar invitation (METHOD:REQUEST,
one VEVENT whose UID is the event's, ORGANIZER the sender, ATTENDEE the customer), which
the worker sends as a text/calendar part. Inviting again reaches only the newly invited:
the outbox key is (program, customer, "invitation").

Capacity: a "yes" while every place is taken is waitlisted. When somebody holding a
place changes their mind (or the capacity grows), the longest-waiting "yes" moves up,
and the owner's agenda says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from lifelong.accounts.access import manages_business, require_manager
from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer
from lifelong.events.models import Event, Invitation, Rsvp
from lifelong.outreach import compliance
from lifelong.outreach.models import Approval, Message, Program, ProgramKind, Purpose, Template
from lifelong.outreach.outbox import Outgoing, enqueue, mail_domain
from lifelong.outreach.programs import _chunked
from lifelong.outreach.rendering import context_for, ensure_starter_templates, render
from lifelong.segments.models import Segment
from lifelong.segments.services import members
from lifelong.touches.models import Channel
from lifelong.touches.services import log_touch

TEMPLATE_KEY = "event-invitation"
OCCURRENCE = "invitation"
SUGGESTION_MONTHS = 6
RSVP_SALT = "lifelong.events.rsvp"

# ---------------------------------------------------------------- access


def may_edit_events(user: User) -> bool:
    return manages_business(user)


def check_may_edit(user: User) -> None:
    require_manager(user, "create events and invite")


# ---------------------------------------------------------------- saving


def clean_event(event: Event) -> None:
    errors: dict[str, list[str]] = {}
    if not event.name.strip():
        errors["name"] = ["Give the event a name."]
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        errors["ends_at"] = ["It ends after it starts."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_event(event: Event, *, by: User | None = None) -> Event:
    """Validate and save; a larger capacity moves waitlisted guests up."""
    clean_event(event)
    if by is not None and event.created_by_id is None:
        event.created_by = by
    event.save()
    fill_places(event)
    return event


# ---------------------------------------------------------------- whom to invite


def suggested_customers(now: dt.datetime | None = None) -> QuerySet[Customer]:
    """The default suggestion: tier A customers (not archived, with an email address)
    not invited to any event in the last six months."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=round(SUGGESTION_MONTHS * 30.44))
    recent = Invitation.objects.filter(customer=OuterRef("pk"), invited_at__gte=since)
    return (
        Customer.objects.not_erased()
        .filter(tier="A", archived_at__isnull=True, emails__isnull=False)
        .filter(~Exists(recent))
        .distinct()
    )


def segment_customers(segment: Segment) -> QuerySet[Customer]:
    return members(segment).filter(archived_at__isnull=True, emails__isnull=False).distinct()


# ---------------------------------------------------------------- invitations


def rsvp_token(invitation: Invitation) -> str:
    """The token in the customer's RSVP link: the invitation's random token, signed."""
    return signing.Signer(salt=RSVP_SALT).sign(invitation.token)


def invitation_by_token(token: str) -> Invitation:
    """The invitation of an RSVP link; Http404 for a wrong or tampered token."""
    try:
        raw = signing.Signer(salt=RSVP_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404("No such invitation") from None
    invitation = Invitation.objects.select_related("event", "customer").filter(token=raw).first()
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


def rsvp_url(invitation: Invitation) -> str:
    from django.urls import reverse

    path = reverse("events:rsvp", args=[rsvp_token(invitation)])
    return compliance.base_url().rstrip("/") + path


def uid(event: Event) -> str:
    """The event's UID: the same in every invitation, so calendars see one event."""
    return f"event-{event.pk}@{mail_domain()}"


def calendar_for(
    event: Event, *, organizer: tuple[str, str], attendee: tuple[str, str], url: str = ""
) -> str:
    """An iCalendar invitation (RFC 5546 METHOD:REQUEST) to `event` for one attendee;
    `organizer` and `attendee` are (name, address)."""
    cal = Calendar()
    cal.add("prodid", "-//Lifelong//events//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    vevent = VEvent()
    vevent.add("uid", uid(event))
    vevent.add("dtstamp", timezone.now())
    vevent.add("sequence", 0)
    vevent.add("dtstart", event.starts_at)
    vevent.add("dtend", event.ends_at)
    vevent.add("summary", event.name)
    if event.place:
        vevent.add("location", event.place)
    description = event.description.strip()
    if url:
        description = f"{description}\n\nLet us know if you can come: {url}".strip()
    if description:
        vevent.add("description", description)
    org = vCalAddress(f"mailto:{organizer[1]}")
    org.params["cn"] = vText(organizer[0] or organizer[1])
    vevent["organizer"] = org
    att = vCalAddress(f"mailto:{attendee[1]}")
    att.params["cn"] = vText(attendee[0] or attendee[1])
    att.params["role"] = vText("REQ-PARTICIPANT")
    att.params["partstat"] = vText("NEEDS-ACTION")
    att.params["rsvp"] = vText("TRUE")
    vevent.add("attendee", att, encode=0)
    cal.add_component(vevent)
    return cal.to_ical().decode()


def when_words(event: Event, tz: dt.tzinfo | None = None) -> str:
    """ "Friday 14 March 2025, 12:00-14:00" in the business's time zone."""
    tz = tz or Business.get().tzinfo
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    if start.date() == end.date():
        return f"{start:%A %-d %B %Y}, {start:%H:%M}\u2013{end:%H:%M}"
    return f"{start:%A %-d %B %Y %H:%M} \u2013 {end:%A %-d %B %Y %H:%M}"


def program_for(event: Event, *, by: User | None = None) -> Program:
    """The event's one-off invitation program, made on first use."""
    if event.program_id is not None:
        return event.program
    template = Template.objects.filter(key=TEMPLATE_KEY).first()
    if template is None:
        ensure_starter_templates()
        template = Template.objects.get(key=TEMPLATE_KEY)
    # Never due (next_run_at empty): invite() enqueues its messages, the worker sends them.
    event.program = Program.objects.create(
        name=f"Invitation: {event.name}"[:200],
        kind=ProgramKind.ONE_OFF,
        purpose=Purpose.RELATIONSHIP,
        template=template,
        approval=Approval.AUTOMATIC,
        next_run_at=None,
        created_by=by,
    )
    event.save(update_fields=["program"])
    return event.program


@dataclass
class Invited:
    invited: int  # new invitations
    already: int  # customers invited before
    queued: int  # new messages in the outbox


@transaction.atomic
def invite(event: Event, customers: QuerySet[Customer], *, by: User | None = None) -> Invited:
    """Invite `customers` (those with an email address) to `event`: an Invitation each
    and a message in the outbox with their RSVP link and the calendar invitation.
    Customers invited before are left as they are."""
    Event.objects.select_for_update().filter(pk=event.pk).first()
    program = program_for(event, by=by)
    business = Business.get()
    tz = business.tzinfo
    when = when_words(event, tz)
    before = set(event.invitations.values_list("customer_id", flat=True))
    wanted = customers.filter(archived_at__isnull=True, emails__isnull=False).distinct()
    now = timezone.now()
    new: list[Invitation] = []
    outgoing: list[Outgoing] = []
    already = 0
    for chunk in _chunked(wanted):
        rows = []
        for customer in chunk:
            if customer.pk in before:
                already += 1
                continue
            rows.append(Invitation(event=event, customer=customer, invited_at=now))
        Invitation.objects.bulk_create(rows)
        by_customer = {c.pk: c for c in chunk}
        for invitation in rows:
            customer = by_customer[invitation.customer_id]
            address = customer.emails.all()[0].address
            sender = customer.owner
            url = rsvp_url(invitation)
            context = context_for(
                customer,
                sender=sender,
                extra={
                    "event_name": event.name,
                    "event_title": event.name,  # what the starter template calls it
                    "event_when": when,
                    "event_date": event.starts_at.astimezone(tz).date(),
                    "event_place": event.place,
                    "rsvp_url": url,
                },
            )
            parts = render(program.template, context)
            from_name = sender.get_full_name() or sender.username
            organizer = (from_name, sender.email or business.sender_email or "")
            outgoing.append(
                Outgoing(
                    customer_id=customer.pk,
                    to_address=address,
                    subject=parts.subject,
                    body_text=parts.body_text,
                    body_html=parts.body_html,
                    from_name=from_name,
                    sender_id=sender.pk,
                    calendar=calendar_for(
                        event,
                        organizer=organizer,
                        attendee=(customer.display_name, address),
                        url=url,
                    ),
                )
            )
            new.append(invitation)
    queued = enqueue(program, outgoing, OCCURRENCE)
    ids = dict(
        Message.objects.filter(program=program, occurrence=OCCURRENCE).values_list(
            "customer_id", "pk"
        )
    )
    for invitation in new:
        invitation.message_id = ids.get(invitation.customer_id)
    Invitation.objects.bulk_update(new, ["message"])
    return Invited(invited=len(new), already=already, queued=queued)


# ---------------------------------------------------------------- RSVP and the wait list


def _taken(event: Event) -> int:
    return event.invitations.filter(rsvp=Rsvp.YES, waitlisted=False).count()


def fill_places(event: Event) -> list[Invitation]:
    """Move waitlisted guests up, longest waiting first, while places are free; the ones
    moved up. Call inside a transaction holding the event's row."""
    waiting = event.invitations.filter(rsvp=Rsvp.YES, waitlisted=True).order_by("rsvp_at", "id")
    if event.capacity is None:
        free = None
    else:
        free = max(event.capacity - _taken(event), 0)
        waiting = waiting[:free]
    moved = list(waiting)
    now = timezone.now()
    for invitation in moved:
        invitation.waitlisted = False
        invitation.promoted_at = now
        invitation.promotion_noted_at = None
        invitation.promotion_snoozed_until = None
    Invitation.objects.bulk_update(
        moved, ["waitlisted", "promoted_at", "promotion_noted_at", "promotion_snoozed_until"]
    )
    return moved


@dataclass
class Answered:
    invitation: Invitation
    moved_up: list[Invitation]  # guests a freed place went to


@transaction.atomic
def answer(invitation: Invitation, rsvp: str) -> Answered:
    """Record the guest's answer (yes, no or maybe). A yes with every place taken is
    waitlisted; a place given up goes to the longest-waiting guest."""
    if rsvp not in (Rsvp.YES, Rsvp.NO, Rsvp.MAYBE):
        raise ValidationError({"rsvp": ["Answer yes, no or maybe."]})
    # The event row is the lock that keeps two last-place answers from both getting it.
    event = Event.objects.select_for_update().get(pk=invitation.event_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.rsvp == rsvp:
        return Answered(invitation, [])
    now = timezone.now()
    invitation.rsvp = rsvp
    invitation.rsvp_at = now
    if rsvp == Rsvp.YES:
        invitation.waitlisted = event.capacity is not None and _taken(event) >= event.capacity
    else:
        invitation.waitlisted = False
    invitation.save(update_fields=["rsvp", "rsvp_at", "waitlisted"])
    moved = fill_places(event) if rsvp != Rsvp.YES else []
    return Answered(invitation, moved)


def note_promotion(invitation: Invitation) -> None:
    """The owner has told the guest their place is confirmed: off the agenda."""
    Invitation.objects.filter(pk=invitation.pk).update(promotion_noted_at=timezone.now())


# ---------------------------------------------------------------- attendance


@transaction.atomic
def record_attendance(
    event: Event, invitations: QuerySet[Invitation], attended_ids: set[int], *, by: User
) -> tuple[int, int]:
    """Of `invitations` (those the user may see), mark the customers in `attended_ids`
    as having come and the others as not; each who came gets an event touch (once).
    Unticking somebody removes the touch it logged. (came, touches added)."""
    when = min(event.starts_at, timezone.now())
    came = added = 0
    for invitation in invitations.select_related("customer", "attended_touch"):
        here = invitation.customer_id in attended_ids
        if here:
            came += 1
            if invitation.attended_touch is None:
                invitation.attended_touch = log_touch(
                    invitation.customer,
                    user=by,
                    channel=Channel.EVENT,
                    direction="inbound",
                    occurred_at=when,
                    summary=f"Came to {event.name}",
                )
                added += 1
        elif invitation.attended_touch is not None:
            invitation.attended_touch.delete()
            invitation.attended_touch = None
        invitation.attended = here
        invitation.save(update_fields=["attended", "attended_touch"])
    return came, added


# ---------------------------------------------------------------- counts


COUNTS = ("yes", "no", "maybe", "none", "waitlist", "attended", "invited")


def with_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    """`events` with n_yes (holding a place), n_no, n_maybe, n_none, n_waitlist,
    n_attended and n_invited."""
    i = "invitations__"
    return events.annotate(
        n_yes=Count("invitations", filter=Q(**{f"{i}rsvp": Rsvp.YES, f"{i}waitlisted": False})),
        n_no=Count("invitations", filter=Q(**{f"{i}rsvp": Rsvp.NO})),
        n_maybe=Count("invitations", filter=Q(**{f"{i}rsvp": Rsvp.MAYBE})),
        n_none=Count("invitations", filter=Q(**{f"{i}rsvp": Rsvp.NONE})),
        n_waitlist=Count("invitations", filter=Q(**{f"{i}waitlisted": True})),
        n_attended=Count("invitations", filter=Q(**{f"{i}attended": True})),
        n_invited=Count("invitations"),
    )


def counts_of(invitations: QuerySet[Invitation]) -> dict[str, int]:
    """The same counts over some invitations (a rep's own customers')."""
    rows = invitations.aggregate(
        yes=Count("pk", filter=Q(rsvp=Rsvp.YES, waitlisted=False)),
        no=Count("pk", filter=Q(rsvp=Rsvp.NO)),
        maybe=Count("pk", filter=Q(rsvp=Rsvp.MAYBE)),
        none=Count("pk", filter=Q(rsvp=Rsvp.NONE)),
        waitlist=Count("pk", filter=Q(waitlisted=True)),
        attended=Count("pk", filter=Q(attended=True)),
        invited=Count("pk"),
    )
    return {k: rows[k] for k in COUNTS}
