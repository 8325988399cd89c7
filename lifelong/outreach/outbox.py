"""The outbox: Message rows made before anything is sent, and who may see them.

A program (or anything else that sends) calls enqueue() with the rendered parts of each
customer's message; the worker (sending.py) sends what is queued and due. The unique key
(program, customer, occurrence) makes enqueueing idempotent: running a program twice
for the same occurrence creates nothing new, so it never sends twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from lifelong.accounts.models import Business
from lifelong.cursors import BadCursor, Page, decode_cursor, encode_cursor
from lifelong.outreach.models import Message, MessageStatus, Program

BATCH_SIZE = 2000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One customer's message as the caller rendered it."""

    customer_id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str = ""
    from_name: str = ""  # the From display name; empty: the sender's name
    sender_id: int | None = None  # whose name and Reply-To it carries
    send_after: dt.datetime | None = None  # None: now
    calendar: str = ""  # an iCalendar METHOD:REQUEST invitation to attach (events)


def occurrence_key(value: dt.date | dt.datetime | str) -> str:
    """The occurrence of a run or an occasion as the outbox keys it.

    A date gives "2025-03-14", a datetime its UTC minute ("2025-03-14T09:00Z"), text is
    kept (at most 60 characters). Greetings key by the occasion's date and what it is, as
    in occurrence_key(f"birthday:{relative_id or 'self'}:{date.isoformat()}").
    """
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text or len(text) > 60:
        raise ValueError("An occurrence key is 1 to 60 characters.")
    return text


def mail_domain() -> str:
    """The domain of Message-IDs: the business's sender address, else the setting."""
    sender = Business.get().sender_email or settings.DEFAULT_FROM_EMAIL
    domain = sender.rpartition("@")[2].strip().lower()
    return domain or "localhost"


def make_message_id(program_id: int, customer_id: int, occurrence: str, domain: str) -> str:
    """`<program.customer.occurrence-slug.hash@domain>`: the same key, the same id, so a
    message sent again (it never should be) would show as a duplicate to the receiver."""
    digest = hashlib.sha256(f"{program_id}:{customer_id}:{occurrence}".encode()).hexdigest()
    slug = slugify(occurrence.replace(":", "-"))[:40] or "x"
    return f"<{program_id}.{customer_id}.{slug}.{digest[:12]}@{domain}>"


def _chunks(items: Iterable[Outgoing], size: int) -> Iterator[list[Outgoing]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def enqueue(
    program: Program,
    messages: Iterable[Outgoing],
    occurrence: str,
    *,
    status: str = MessageStatus.QUEUED,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Put one message per Outgoing in the outbox for `occurrence`; how many were new.

    `status` is queued (the worker sends it when due) or draft (a person approves it
    first). A customer who already has a message of this program for this occurrence
    keeps it, whatever its status: nothing is created or changed for them. Messages are
    written in batches of `batch_size`, each batch in its own transaction.
    """
    if status not in (MessageStatus.QUEUED, MessageStatus.DRAFT):
        raise ValueError("Messages are enqueued as queued or draft.")
    occurrence = occurrence_key(occurrence)
    domain = mail_domain()
    now = timezone.now()
    mine = Message.objects.filter(program=program, occurrence=occurrence)
    created = 0
    for chunk in _chunks(messages, batch_size):
        rows = [
            Message(
                program_id=program.pk,
                customer_id=m.customer_id,
                occurrence=occurrence,
                status=status,
                sender_id=m.sender_id,
                to_address=m.to_address.strip(),
                from_name=m.from_name[:200],
                subject=m.subject[:300],
                body_text=m.body_text,
                body_html=m.body_html,
                calendar=m.calendar,
                message_id=make_message_id(program.pk, m.customer_id, occurrence, domain),
                send_after=m.send_after or now,
                created_at=now,
                updated_at=now,
            )
            for m in chunk
        ]
        with transaction.atomic():
            before = mine.count()
            Message.objects.bulk_create(rows, ignore_conflicts=True)
            created += mine.count() - before
    return created


def id_page(qs: QuerySet[T], *, cursor: str = "", limit: int = 50) -> Page[T]:
    """A page of `qs`, newest first (by id), after `cursor`; BadCursor for a bad one."""
    qs = qs.order_by("-id")
    if cursor:
        (last,) = decode_cursor(cursor, 1)
        if not isinstance(last, int):
            raise BadCursor
        qs = qs.filter(id__lt=last)
    items = list(qs[: limit + 1])
    if len(items) <= limit:
        return Page(items, None)
    return Page(items[:limit], encode_cursor([items[limit - 1].pk]))


@transaction.atomic
def retry_message(message: Message) -> Message:
    """Queue a failed message again, now, with a fresh count of attempts."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status != MessageStatus.FAILED:
        raise ValidationError("Only a failed message can be retried.")
    now = timezone.now()
    locked.status = MessageStatus.QUEUED
    locked.attempts = 0
    locked.send_after = now
    locked.claimed_by = ""
    locked.claimed_at = None
    locked.last_error = f"Retried by hand after: {locked.last_error}"[:2000]
    locked.updated_at = now
    locked.save(
        update_fields=[
            "status", "attempts", "send_after", "claimed_by", "claimed_at", "last_error",
            "updated_at",
        ]
    )  # fmt: skip
    return locked
