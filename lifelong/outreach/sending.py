"""The worker: claim due messages, send them over SMTP, log each as a touch.

Exactly once
============

"A failed send is retried and never sent twice; a crash mid-campaign resumes where it
stopped." SMTP gives no way to ask a server whether it already has a message, so the
worker makes the moment of hand-over a database fact and keeps everything else
repeatable:

1. **Claim.** In one transaction the worker takes up to --batch due rows (status
   queued, send_after <= now) and marks them `sending` with its id (host:pid:random)
   and the time. On PostgreSQL the rows are read with `SELECT … FOR UPDATE SKIP
   LOCKED`, so several workers take disjoint batches; on SQLite the transaction
   begins IMMEDIATE (settings.py), which holds the single write lock, so claims queue.
2. **Send up to the last byte.** For each message: MAIL FROM, RCPT TO, DATA and the
   whole content, but not the end-of-data marker `.\\r\\n`. Until that marker arrives
   the server has accepted nothing; if the connection drops, it discards the message.
3. **Record the hand-over.** One UPDATE commits status `sent` and sent_at, on the
   condition that the row is still `sending` under this worker's claim (if another
   worker took it over, this one drops the connection instead: no marker, no message).
4. **Finish.** Write the marker and read the reply. 2xx: done. 5xx: the row becomes
   `failed` with the reply. 4xx: back to `queued` with an exponential backoff. No
   reply at all (connection lost after the marker): the server may have the message,
   so it stays `sent`, with a note in last_error; never twice wins over never lost.
5. **Bookkeeping** for the whole batch at once: skipped and failed rows, retries, and
   the email touches of the sent ones (Message.touch_logged says a row's touch is
   written).

After a crash (kill -9, power loss):

- a row still `sending` was never handed over: its marker was never written, so the
  server dropped it. It goes back to `queued` when its claim is abandoned: the claiming
  process is gone (same host, pid not running) or the claim is older than
  --stale-after (a live worker refreshes its claims while it works);
- a row `sent` was handed over and is not sent again; if its touch was not yet logged
  (touch_logged false), the next pass logs it.

What is left is one socket write: a crash after the hand-over commit and before the
three bytes of the marker reach the kernel loses that one message (recorded as sent,
never received). Every other crash point either resends a message the server never
accepted or leaves a sent one alone.

Sending rules checked at send time, per message: a suppressed address is skipped (any
purpose); marketing goes only to customers with email_consent; a missing or invalid
address fails at once. Transient failures (connection refused or lost, 4xx replies)
retry with backoff `BACKOFF_BASE * 2**(attempts-1)`, at most BACKOFF_CAP, and fail
after MAX_ATTEMPTS attempts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.customers import cadence
from lifelong.customers.models import Customer
from lifelong.outreach import compliance, smtp
from lifelong.outreach.models import Message, MessageStatus, Purpose
from lifelong.touches.models import Channel, Direction, Touch

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)
STALE_AFTER = dt.timedelta(minutes=10)
RECOVER_EVERY = 60.0  # seconds between looks for abandoned claims while busy
JOBS_EVERY = 60.0  # seconds between runs of the other jobs while busy


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def _process_gone(claimed_by: str) -> bool:
    """Whether `claimed_by` names a process of this host that no longer runs."""
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:60] or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # somebody else's process: alive
        return False
    return False


# ---------------------------------------------------------------- the email


@dataclass(frozen=True)
class Envelope:
    """What every message of a batch shares: the business, its links and addresses."""

    business: Business
    root: str  # LIFELONG_BASE_URL
    mail_from: str  # the envelope sender and the From address

    @classmethod
    def current(cls) -> Envelope:
        business = Business.get()
        return cls(
            business=business,
            root=compliance.base_url(),
            mail_from=business.sender_email or settings.DEFAULT_FROM_EMAIL,
        )


def build_email(message: Message, envelope: Envelope, *, now: dt.datetime) -> EmailMessage:
    """The email of `message`: headers, text and HTML parts, footer, unsubscribe headers.

    `message` needs program, customer (with owner) and sender loaded, or it will query.
    """
    business = envelope.business
    sender = message.sender or message.customer.owner
    display = (
        message.from_name
        or (sender.display_name if sender else "")
        or business.sender_name
        or business.name
    )
    marketing = message.program.purpose == Purpose.MARKETING
    token = compliance.make_token(message.customer_id, message.to_address)
    context = {
        "business": business,
        "marketing": marketing,
        "preferences_url": compliance.preferences_url(token, root=envelope.root),
        "unsubscribe_url": compliance.unsubscribe_url(token, root=envelope.root),
    }
    email = EmailMessage()
    email["From"] = formataddr((display, envelope.mail_from))
    if sender and sender.email:
        email["Reply-To"] = formataddr((sender.display_name, sender.email))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message.message_id
    if marketing:
        email["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = (
        message.body_text.rstrip()
        + "\n\n"
        + render_to_string("outreach/emails/footer.txt", context)
    )
    email.set_content(text)
    if message.body_html:
        footer = render_to_string("outreach/emails/footer.html", context)
        html = message.body_html
        at = html.lower().rfind("</body>")
        html = html[:at] + footer + html[at:] if at >= 0 else html + footer
        email.add_alternative(html, subtype="html")
    return email


# ---------------------------------------------------------------- the worker


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    released: int = 0

    def add(self, other: Tally) -> None:
        for name in ("sent", "failed", "retried", "skipped", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.failed} failed, {self.retried} to retry, "
            f"{self.skipped} skipped"
        )


@dataclass
class _Batch:
    """The outcome of each message of one claimed batch, written together at its end."""

    sent: list[Message] = field(default_factory=list)
    done: list[Message] = field(default_factory=list)  # skipped, failed or to retry
    tally: Tally = field(default_factory=Tally)


class Worker:
    """Sends the outbox. run() loops (or makes one pass); stop() ends it after the
    message in hand. One SMTP connection is reused for every message while it works."""

    def __init__(
        self,
        *,
        batch: int = 100,
        config: smtp.SmtpConfig | None = None,
        stale_after: dt.timedelta = STALE_AFTER,
        max_attempts: int = MAX_ATTEMPTS,
        on_batch: Callable[[Tally], None] | None = None,
        jobs: Callable[[], None] | None = None,
    ) -> None:
        self.id = new_worker_id()
        self.batch = batch
        self.config = config or smtp.config_from_env()
        self.connection = smtp.Connection(self.config)
        self.stale_after = stale_after
        self.max_attempts = max_attempts
        self.on_batch = on_batch
        # Other due work (programs, the nightly refresh: outreach/jobs.py), run at the
        # start of a pass, at most every JOBS_EVERY seconds while busy.
        self.jobs = jobs
        self._last_jobs = -JOBS_EVERY
        self.stopping = threading.Event()
        self._last_recovery = -RECOVER_EVERY
        self._claim_refreshed = 0.0

    def stop(self) -> None:
        self.stopping.set()

    def run(self, *, once: bool = False, sleep: float = 5.0) -> Tally:
        """Send until stopped; with `once`, until nothing is due. The tally of it all."""
        total = Tally()
        try:
            while not self.stopping.is_set():
                if self.jobs and time.monotonic() - self._last_jobs >= JOBS_EVERY:
                    self._last_jobs = time.monotonic()
                    self.jobs()
                if time.monotonic() - self._last_recovery >= RECOVER_EVERY:
                    self.recover()
                tally = self.run_batch()
                if tally is None:
                    if once:
                        break
                    self.connection.close()  # no idle connection held open between batches
                    self.stopping.wait(sleep)
                    self.recover()
                    continue
                total.add(tally)
                if self.on_batch:
                    self.on_batch(tally)
        finally:
            self.connection.close()
        return total

    # ---- recovery

    def _abandoned(self, statuses: Q) -> Q:
        """Rows (of `statuses`) whose claim is stale or whose worker died on this host."""
        cutoff = timezone.now() - self.stale_after
        claimants = (
            Message.objects.filter(statuses)
            .exclude(claimed_by="")
            .values_list("claimed_by", flat=True)
            .distinct()
            .order_by()
        )
        gone = [c for c in claimants if c != self.id and _process_gone(c)]
        return Q(claimed_at__lt=cutoff) | Q(claimed_by__in=gone)

    def recover(self) -> int:
        """Queue again what crashed workers claimed and never handed over, and log the
        touches they did not. How many rows were queued again."""
        self._last_recovery = time.monotonic()
        sending = Q(status=MessageStatus.SENDING)
        released = (
            Message.objects.filter(sending)
            .filter(self._abandoned(sending))
            .exclude(claimed_by=self.id)
            .update(
                status=MessageStatus.QUEUED,
                claimed_by="",
                claimed_at=None,
                updated_at=timezone.now(),
            )
        )
        if released:
            log.warning("Queued again %d messages an ended worker had claimed", released)
        pending = Q(status=MessageStatus.SENT, touch_logged=False)
        ids = list(
            Message.objects.filter(pending)
            .filter(self._abandoned(pending) | Q(claimed_by=""))
            .values_list("id", flat=True)[:5000]
        )
        if ids:
            log_email_touches(ids)
        return released

    # ---- one batch

    def claim(self) -> list[Message]:
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(status=MessageStatus.QUEUED, send_after__lte=now)
                .order_by("send_after", "id")
                .values_list("id", flat=True)[: self.batch]
            )
            if ids:
                Message.objects.filter(id__in=ids).update(
                    status=MessageStatus.SENDING, claimed_by=self.id, claimed_at=now
                )
        self._claim_refreshed = time.monotonic()
        if not ids:
            return []
        return list(
            Message.objects.filter(id__in=ids, claimed_by=self.id)
            .select_related("program", "customer", "customer__owner", "sender")
            .order_by("send_after", "id")
        )

    def run_batch(self) -> Tally | None:
        """Claim and send one batch; None when nothing was due."""
        messages = self.claim()
        if not messages:
            return None
        envelope = Envelope.current()
        suppressed = compliance.suppressed_hashes(m.to_address for m in messages)
        batch = _Batch()
        handled = 0
        for message in messages:
            if self.stopping.is_set():
                break
            self._keep_claim()
            self.send_one(message, envelope, suppressed, batch)
            handled += 1
        self._finish(batch, messages[handled:])
        return batch.tally

    def _keep_claim(self) -> None:
        """Refresh this worker's claims now and then, so nobody takes them for stale."""
        if time.monotonic() - self._claim_refreshed < self.stale_after.total_seconds() / 3:
            return
        Message.objects.filter(status=MessageStatus.SENDING, claimed_by=self.id).update(
            claimed_at=timezone.now()
        )
        self._claim_refreshed = time.monotonic()

    def send_one(
        self, message: Message, envelope: Envelope, suppressed: set[str], batch: _Batch
    ) -> None:
        now = timezone.now()
        reason = self._why_not(message, suppressed)
        if reason:
            status, text = reason
            self._done(message, batch, status, text)
            return
        try:
            content = build_email(message, envelope, now=now).as_bytes(policy=SMTP_POLICY)
        except (ValueError, TypeError) as e:  # a header the email package refuses
            self._done(message, batch, MessageStatus.FAILED, f"Could not build the email: {e}")
            return
        try:
            self.connection.begin(envelope.mail_from, message.to_address, content)
        except smtp.SmtpReplyError as e:
            if e.transient:
                self._retry(message, batch, str(e))
            else:
                self._done(message, batch, MessageStatus.FAILED, f"Refused: {e}")
            return
        except OSError as e:  # refused, reset, timed out: the server has nothing
            self._retry(message, batch, f"SMTP connection: {e or type(e).__name__}")
            return

        # The hand-over: from this commit on the message counts as sent (module docstring).
        attempts = message.attempts + 1
        ours = Message.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, claimed_by=self.id
        ).update(
            status=MessageStatus.SENT, sent_at=now, attempts=attempts, last_error="",
            updated_at=now,
        )  # fmt: skip
        if not ours:
            # Another worker took this claim over (we stalled past --stale-after): drop
            # the connection without the marker, and the server forgets the message.
            self.connection.abort()
            log.warning("Message %s was taken over by another worker; not sent here", message.pk)
            return
        message.status, message.sent_at, message.attempts = MessageStatus.SENT, now, attempts
        try:
            code, text = self.connection.end()
        except OSError as e:
            # The marker may have arrived: counting it as sent is what keeps it single.
            self._note_unconfirmed(message, f"No reply after the end of data ({e}); "
                                   "counted as sent so that it is never sent twice.")  # fmt: skip
            batch.sent.append(message)
            batch.tally.sent += 1
            return
        if 200 <= code < 300:
            batch.sent.append(message)
            batch.tally.sent += 1
            return
        # Refused after all: correct the hand-over record at once, not at the batch's end.
        error = f"DATA: {code} {text}"
        if 400 <= code < 500 and attempts < self.max_attempts:
            updates = {
                "status": MessageStatus.QUEUED,
                "send_after": now + backoff(attempts),
                "claimed_by": "",
                "claimed_at": None,
            }
            batch.tally.retried += 1
        else:
            updates = {"status": MessageStatus.FAILED}
            batch.tally.failed += 1
            error = ("Refused: " if code >= 500 else "Gave up: ") + error
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(
            sent_at=None, last_error=error, updated_at=timezone.now(), **updates
        )

    def _why_not(self, message: Message, suppressed: set[str]) -> tuple[str, str] | None:
        address = message.to_address
        if not address:
            return MessageStatus.FAILED, "The customer has no email address."
        try:
            validate_email(address)
        except ValidationError:
            return MessageStatus.FAILED, f"{address!r} is not a valid email address."
        if compliance.address_hash(address) in suppressed:
            return MessageStatus.SKIPPED, "The address is on the suppression list."
        if message.program.purpose == Purpose.MARKETING and not message.customer.email_consent:
            return MessageStatus.SKIPPED, "The customer has not consented to marketing email."
        return None

    def _done(self, message: Message, batch: _Batch, status: str, error: str) -> None:
        message.status, message.last_error = status, error[:2000]
        if status == MessageStatus.FAILED:
            message.attempts += 1
            batch.tally.failed += 1
        else:
            batch.tally.skipped += 1
        batch.done.append(message)

    def _retry(self, message: Message, batch: _Batch, error: str) -> None:
        message.attempts += 1
        if message.attempts >= self.max_attempts:
            message.status = MessageStatus.FAILED
            message.last_error = f"Gave up after {message.attempts} attempts: {error}"[:2000]
            batch.tally.failed += 1
            batch.done.append(message)
            return
        message.status = MessageStatus.QUEUED
        message.send_after = timezone.now() + backoff(message.attempts)
        message.claimed_by, message.claimed_at = "", None
        message.last_error = error[:2000]
        batch.tally.retried += 1
        batch.done.append(message)

    def _note_unconfirmed(self, message: Message, note: str) -> None:
        Message.objects.filter(pk=message.pk).update(last_error=note)

    def _finish(self, batch: _Batch, unhandled: list[Message]) -> None:
        """Write the batch's outcomes, log its touches, and give back what was not sent."""
        now = timezone.now()
        mine = Message.objects.filter(status=MessageStatus.SENDING, claimed_by=self.id)
        if batch.done:
            for m in batch.done:
                m.updated_at = now
            mine.bulk_update(
                batch.done,
                ["status", "last_error", "attempts", "send_after", "claimed_by", "claimed_at",
                 "updated_at"],
            )  # fmt: skip
        if unhandled:
            batch.tally.released = mine.filter(pk__in=[m.pk for m in unhandled]).update(
                status=MessageStatus.QUEUED, claimed_by="", claimed_at=None, updated_at=now
            )
        if batch.sent:
            log_email_touches([m.pk for m in batch.sent])


# ---------------------------------------------------------------- touches


def log_email_touches(message_ids: list[int]) -> int:
    """Log each sent message of `message_ids` as an outbound email touch, once.

    The bulk equivalent of touches.services.log_touch: the customers' last_touched_at
    follows their newest touch, a snooze ends, and next_due_at is recomputed. Rows
    already logged (or locked by a worker logging them) are left alone.
    """
    with transaction.atomic():
        messages = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, status=MessageStatus.SENT, touch_logged=False)
            .only("id", "customer_id", "sender_id", "subject", "sent_at")
        )
        if not messages:
            return 0
        touches = Touch.objects.bulk_create(
            Touch(
                customer_id=m.customer_id,
                user_id=m.sender_id,
                channel=Channel.EMAIL,
                direction=Direction.OUTBOUND,
                occurred_at=m.sent_at,
                summary=f"Email: {m.subject}"[:500],
                created_at=m.sent_at,
            )
            for m in messages
        )
        for message, touch in zip(messages, touches, strict=True):
            message.touch_id = touch.pk
            message.touch_logged = True
        Message.objects.bulk_update(messages, ["touch", "touch_logged"])
        ids = {m.customer_id for m in messages}
        newest = (
            Touch.objects.filter(customer=OuterRef("pk"))
            .order_by()
            .values("customer")
            .annotate(newest=Max("occurred_at"))
            .values("newest")
        )
        customers = Customer.objects.filter(pk__in=ids)
        customers.update(last_touched_at=Subquery(newest), contact_snoozed_until=None)
        cadence.recompute_due(customers)
    return len(messages)
