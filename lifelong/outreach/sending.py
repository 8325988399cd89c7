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
2. **Send up to the last byte**, a group at a time. The worker keeps GROUP (8) SMTP
   connections open side by side and puts one message on each: MAIL FROM, RCPT TO,
   DATA and the whole content, but not the end-of-data marker `.\\r\\n` (each command
   goes out on every connection before the replies are read: smtp.begin_many). Until
   its marker arrives the server has accepted nothing; if the connection drops, it
   discards the message. A message refused on the way (4xx/5xx, a lost connection)
   drops out of the group here and is handled as below.
3. **Record the hand-over**, for the whole group in ONE transaction: one UPDATE sets
   status `sent` and sent_at on the rows of the group that are still `sending` under
   this worker's claim. A row another worker took over meanwhile (this one stalled
   past --stale-after) is not updated; its connection is dropped without the marker:
   no marker, no message. The commit is the fsync that costs most (3 to 6 ms on a
   busy disk): one per group instead of one per message.
4. **Finish.** Write the markers of the group, every one before any reply is read,
   then read the replies. 2xx: done. 5xx: the row becomes `failed` with the reply.
   4xx: back to `queued` with an exponential backoff. No reply at all (connection lost
   after the marker): the server may have the message, so it stays `sent`, with a note
   in last_error; never twice wins over never lost.
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

For a group that means: killed before the group commit, no message of the group has
its marker and none is `sent`: the server drops all of them and they are sent again
after recovery. Killed after the commit, all of them are `sent` and never sent again;
the markers already written still reach the server, which accepts those messages (the
kernel closes a killed process's sockets after sending what was written to them; no
reply can be waiting unread on a connection whose marker the server has not read, which
would turn the close into a reset). What is left is the writes of the markers: a crash
after the group commit and before a marker's three bytes reach the kernel (power loss:
leave the machine) loses that message, recorded as sent and never received; that is
up to GROUP messages, in a window of microseconds. Every other crash point either
resends a message the server never accepted or leaves a sent one alone.

Sending rules checked at send time, per message: a suppressed address is skipped (any
purpose); marketing goes only to customers with email_consent; a missing or invalid
address fails at once. Transient failures (connection refused or lost, 4xx replies)
retry with backoff `BACKOFF_BASE * 2**(attempts-1)`, at most BACKOFF_CAP, and fail
after MAX_ATTEMPTS attempts.
"""

from __future__ import annotations

import binascii
import datetime as dt
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection as db
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

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
GROUP = 8  # SMTP connections side by side: messages handed over per commit
CRLF = "\r\n"
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

# A sentinel rendered into the footer templates in place of a link, then replaced by
# each message's own link: the footers are rendered once per batch, not per message.
_LINK_MARK = "LIFELONGLINK{}MARK"
_URL_SAFE = re.compile(r"[A-Za-z0-9_.:~-]+\Z")
_PRINTABLE = re.compile(r"[\x20-\x7e]*\Z")
_NOT_7BIT = re.compile(rb"[^\t\n\x20-\x7e]|[^\n]{999}")  # not ASCII text, or a long line
_MAX_LINE = 998  # octets before CRLF (RFC 5322 2.1.1)


@dataclass(frozen=True)
class Envelope:
    """What every message of a batch shares: the business, its links and addresses, and
    (filled on first use) the footers and link prefixes, so they are made once a batch."""

    business: Business
    root: str  # LIFELONG_BASE_URL
    mail_from: str  # the envelope sender and the From address
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def current(cls) -> Envelope:
        business = Business.get()
        return cls(
            business=business,
            root=compliance.base_url(),
            mail_from=business.sender_email or settings.DEFAULT_FROM_EMAIL,
        )

    def links(self, token: str) -> tuple[str, str]:
        """The preference and unsubscribe URLs of `token`, as compliance makes them."""
        prefixes = self._cache.get("links")
        if prefixes is None:
            mark = _LINK_MARK.format("TOKEN")
            prefixes = tuple(
                url.split(mark) if url.count(mark) == 1 else None
                for url in (
                    compliance.preferences_url(mark, root=self.root),
                    compliance.unsubscribe_url(mark, root=self.root),
                )
            )
            self._cache["links"] = prefixes
        preferences, unsubscribe = prefixes
        if preferences is None or unsubscribe is None or not _URL_SAFE.match(token):
            return (
                compliance.preferences_url(token, root=self.root),
                compliance.unsubscribe_url(token, root=self.root),
            )
        return token.join(preferences), token.join(unsubscribe)

    def footers(
        self, marketing: bool, preferences_url: str, unsubscribe_url: str
    ) -> tuple[str, str]:
        """The text and HTML footers (outreach/emails/footer.*) with these links.

        The templates are rendered once per purpose with marks for the links, which are
        then replaced; the first use checks that against a real rendering and renders
        every time if a template does something else with the links than print them."""
        key = ("footers", marketing)
        cached = self._cache.get(key)
        context = {
            "business": self.business,
            "marketing": marketing,
            "preferences_url": preferences_url,
            "unsubscribe_url": unsubscribe_url,
        }
        if cached is None:
            marks = {
                "preferences_url": _LINK_MARK.format("PREFERENCES"),
                "unsubscribe_url": _LINK_MARK.format("UNSUBSCRIBE"),
            }
            marked = {**context, **marks}
            cached = (
                render_to_string("outreach/emails/footer.txt", marked),
                render_to_string("outreach/emails/footer.html", marked),
                marks,
            )
            real = _render_footers(context)
            if self._fill(cached, preferences_url, unsubscribe_url) != real:
                cached = False
            self._cache[key] = cached
            return real
        if cached is False:
            return _render_footers(context)
        return self._fill(cached, preferences_url, unsubscribe_url)

    @staticmethod
    def _fill(cached: tuple, preferences_url: str, unsubscribe_url: str) -> tuple[str, str]:
        text, html, marks = cached
        pref, unsub = marks["preferences_url"], marks["unsubscribe_url"]
        text = text.replace(pref, preferences_url).replace(unsub, unsubscribe_url)
        html = html.replace(pref, escape(preferences_url)).replace(unsub, escape(unsubscribe_url))
        return text, html


def _render_footers(context: dict) -> tuple[str, str]:
    return (
        render_to_string("outreach/emails/footer.txt", context),
        render_to_string("outreach/emails/footer.html", context),
    )


@dataclass(frozen=True)
class _Content:
    """What the email of a message says, however it is then written out."""

    display: str  # the From display name
    reply_to: tuple[str, str] | None
    marketing: bool
    unsubscribe_url: str
    text: str
    html: str  # "" for a text-only email


def _content(message: Message, envelope: Envelope) -> _Content:
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
    preferences_url, unsubscribe_url = envelope.links(token)
    footer_text, footer_html = envelope.footers(marketing, preferences_url, unsubscribe_url)
    text = message.body_text.rstrip() + "\n\n" + footer_text
    html = ""
    if message.body_html:
        html = message.body_html
        at = html.lower().rfind("</body>")
        html = html[:at] + footer_html + html[at:] if at >= 0 else html + footer_html
    reply_to = (sender.display_name, sender.email) if sender and sender.email else None
    return _Content(display, reply_to, marketing, unsubscribe_url, text, html)


def build_email(message: Message, envelope: Envelope, *, now: dt.datetime) -> EmailMessage:
    """The email of `message`: headers, text and HTML parts, footer, unsubscribe headers.

    `message` needs program, customer (with owner) and sender loaded, or it will query.
    The worker sends email_bytes(), the same email written out directly."""
    return _email_message(message, _content(message, envelope), envelope, now)


def _email_message(
    message: Message, content: _Content, envelope: Envelope, now: dt.datetime
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((content.display, envelope.mail_from))
    if content.reply_to:
        email["Reply-To"] = formataddr(content.reply_to)
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message.message_id
    if content.marketing:
        email["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(content.text)
    if content.html:
        email.add_alternative(content.html, subtype="html")
    if message.calendar:  # an event invitation (events app): calendars read this part
        email.add_alternative(message.calendar, subtype="calendar", params={"method": "REQUEST"})
    return email


def email_bytes(message: Message, envelope: Envelope, *, now: dt.datetime) -> bytes:
    """The email of `message` as the bytes of an SMTP DATA (CRLF line ends, not yet
    dot-stuffed): the same email as build_email(), written out directly.

    Building an EmailMessage and generating it parses and refolds every header (about
    4 ms a message); this writes the MIME by hand: ASCII headers as they are, the others
    as RFC 2047 encoded words (email.header), each body part 7bit when it is ASCII with
    short lines, else quoted-printable, and a random boundary checked against the
    bodies. What it does not cover (a non-ASCII address, a header line that would be
    too long) goes through build_email() instead. ValueError for a header with a line
    break, as the email package raises."""
    content = _content(message, envelope)
    try:
        return _mime(message, content, envelope, now)
    except _Unusual:
        email = _email_message(message, content, envelope, now)
        return email.as_bytes(policy=SMTP_POLICY)


class _Unusual(Exception):
    """Something email_bytes leaves to the email package."""


def _header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(
            f"Header values may not contain linefeed or carriage return characters ({name})"
        )
    if _PRINTABLE.match(value) and "=?" not in value:
        line = f"{name}: {value}\r\n"
    else:
        line = f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}\r\n"
    if any(len(part) > _MAX_LINE for part in line.split(CRLF)):
        raise _Unusual(name)
    return line


def _address(name: str, pair: tuple[str, str]) -> str:
    display, address = pair
    if not _PRINTABLE.match(address) or "=?" in display or "\r" in display or "\n" in display:
        raise _Unusual(name)
    # An ASCII name quoted when it needs to be, another as one encoded word: readers
    # (Python's among them) put a space between encoded words of a display name.
    line = f"{name}: {formataddr(pair)}\r\n"
    if len(line) > _MAX_LINE + 2:  # so long it must fold: as RFC 2047 says
        words = Header(display, "utf-8", header_name=name).encode(linesep=CRLF)
        line = f"{name}: {words} <{address}>\r\n"
    if any(len(part) > _MAX_LINE for part in line.split(CRLF)):
        raise _Unusual(name)
    return line


def _part(content_type: str, text: str) -> tuple[str, bytes]:
    """The Content-* headers and the body of one text part."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    if not data.endswith(b"\n"):
        data += b"\n"
    if not _NOT_7BIT.search(data):
        encoding = "7bit"
    else:
        data = binascii.b2a_qp(data, istext=True)
        encoding = "quoted-printable"
    headers = (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n"
    )
    return headers, data.replace(b"\n", b"\r\n")


def _mime(message: Message, content: _Content, envelope: Envelope, now: dt.datetime) -> bytes:
    if message.calendar:  # a third part: left to the email package
        raise _Unusual("calendar")
    head = [_address("From", (content.display, envelope.mail_from))]
    if content.reply_to:
        head.append(_address("Reply-To", content.reply_to))
    if not _PRINTABLE.match(message.to_address):
        raise _Unusual("To")
    head.append(_header("To", message.to_address))
    head.append(_header("Subject", message.subject))
    head.append(f"Date: {format_datetime(now)}\r\n")
    head.append(_header("Message-ID", message.message_id))
    if content.marketing:
        head.append(_header("List-Unsubscribe", f"<{content.unsubscribe_url}>"))
        head.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    head.append("MIME-Version: 1.0\r\n")
    text_headers, text = _part("text/plain", content.text)
    if not content.html:
        return ("".join(head) + text_headers + "\r\n").encode() + text
    html_headers, html = _part("text/html", content.html)
    while True:  # a boundary that occurs in neither body
        boundary = f"==lifelong_{secrets.token_hex(12)}=="
        mark = boundary.encode()
        if mark not in text and mark not in html:
            break
    head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n')
    return b"".join(
        (
            "".join(head).encode(),
            f"--{boundary}\r\n{text_headers}\r\n".encode(),
            text,
            f"\r\n--{boundary}\r\n{html_headers}\r\n".encode(),
            html,
            f"\r\n--{boundary}--\r\n".encode(),
        )
    )


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
    group of messages in hand. `connections` SMTP connections (GROUP by default) are
    kept open side by side and reused while it works: a group is one message on each,
    handed over in one commit (module docstring)."""

    def __init__(
        self,
        *,
        batch: int = 100,
        config: smtp.SmtpConfig | None = None,
        stale_after: dt.timedelta = STALE_AFTER,
        max_attempts: int = MAX_ATTEMPTS,
        on_batch: Callable[[Tally], None] | None = None,
        jobs: Callable[[], None] | None = None,
        connections: int = GROUP,
    ) -> None:
        self.id = new_worker_id()
        self.batch = batch
        self.config = config or smtp.config_from_env()
        # Opened when first used: a batch of one message opens one.
        self.connections = [smtp.Connection(self.config) for _ in range(max(1, connections))]
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
                    self._close()  # no idle connection held open between batches
                    self.stopping.wait(sleep)
                    self.recover()
                    continue
                total.add(tally)
                if self.on_batch:
                    self.on_batch(tally)
        finally:
            self._close()
        return total

    def _close(self) -> None:
        for connection in self.connections:
            connection.close()

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
        while handled < len(messages) and not self.stopping.is_set():
            self._keep_claim()
            now = timezone.now()
            group: list[tuple[Message, bytes]] = []
            while handled < len(messages) and len(group) < len(self.connections):
                message = messages[handled]
                handled += 1
                content = self._prepare(message, envelope, suppressed, batch, now)
                if content is not None:
                    group.append((message, content))
            if group:
                self.send_group(group, envelope, batch, now)
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

    def _prepare(
        self,
        message: Message,
        envelope: Envelope,
        suppressed: set[str],
        batch: _Batch,
        now: dt.datetime,
    ) -> bytes | None:
        """The email of `message`, or None when it is not to be sent (recorded in batch)."""
        reason = self._why_not(message, suppressed)
        if reason:
            status, text = reason
            self._done(message, batch, status, text)
            return None
        try:
            return email_bytes(message, envelope, now=now)
        except (ValueError, TypeError) as e:  # a header the email package refuses
            self._done(message, batch, MessageStatus.FAILED, f"Could not build the email: {e}")
            return None

    def send_one(
        self, message: Message, envelope: Envelope, suppressed: set[str], batch: _Batch
    ) -> None:
        """Send one message (a group of one)."""
        now = timezone.now()
        content = self._prepare(message, envelope, suppressed, batch, now)
        if content is not None:
            self.send_group([(message, content)], envelope, batch, now)

    def send_group(
        self,
        group: list[tuple[Message, bytes]],
        envelope: Envelope,
        batch: _Batch,
        now: dt.datetime,
    ) -> None:
        """Send up to len(self.connections) messages, one on each connection: all but
        the end-of-data markers, ONE commit of the hand-overs, then the markers and the
        replies (module docstring, steps 2 to 4)."""
        jobs = [
            (connection, envelope.mail_from, message.to_address, content)
            for connection, (message, content) in zip(self.connections, group, strict=False)
        ]
        errors = smtp.begin_many(jobs)
        ready: list[tuple[Message, smtp.Connection]] = []
        for (message, _content), (connection, *_rest), error in zip(
            group, jobs, errors, strict=True
        ):
            if error is None:
                ready.append((message, connection))
            elif isinstance(error, smtp.SmtpReplyError):
                if error.transient:
                    self._retry(message, batch, str(error))
                else:
                    self._done(message, batch, MessageStatus.FAILED, f"Refused: {error}")
            else:  # refused, reset, timed out: the server has nothing
                self._retry(message, batch, f"SMTP connection: {error or type(error).__name__}")
        if not ready:
            return

        # The hand-over: from this commit on these messages count as sent (module
        # docstring). One transaction for the group, each row still on this worker's claim.
        ids = [message.pk for message, _connection in ready]
        with transaction.atomic():
            updated = Message.objects.filter(
                pk__in=ids, status=MessageStatus.SENDING, claimed_by=self.id
            ).update(
                status=MessageStatus.SENT, sent_at=now, attempts=F("attempts") + 1,
                last_error="", updated_at=now,
            )  # fmt: skip
            if updated == len(ids):
                ours = set(ids)
            else:  # some were taken over: which ones are ours, before anybody can tell
                ours = set(
                    Message.objects.filter(
                        pk__in=ids, status=MessageStatus.SENT, claimed_by=self.id, sent_at=now
                    ).values_list("pk", flat=True)
                )
        handed: list[tuple[Message, smtp.Connection]] = []
        for message, connection in ready:
            if message.pk not in ours:
                # Another worker took this claim over (we stalled past --stale-after): drop
                # the connection without the marker, and the server forgets the message.
                connection.abort()
                log.warning(
                    "Message %s was taken over by another worker; not sent here", message.pk
                )
                continue
            message.status, message.sent_at = MessageStatus.SENT, now
            message.attempts += 1
            handed.append((message, connection))

        # The markers, every one before any reply is read, then the replies.
        unconfirmed: dict[int, OSError] = {}
        for message, connection in handed:
            try:
                connection.send_end()
            except OSError as e:
                unconfirmed[message.pk] = e
        for message, connection in handed:
            error = unconfirmed.get(message.pk)
            if error is None:
                try:
                    code, text = connection.read_end()
                except OSError as e:
                    error = e
            if error is not None:
                # The marker may have arrived: counting it as sent is what keeps it single.
                self._note_unconfirmed(
                    message,
                    f"No reply after the end of data ({error}); "
                    "counted as sent so that it is never sent twice.",
                )
                batch.sent.append(message)
                batch.tally.sent += 1
                continue
            if 200 <= code < 300:
                batch.sent.append(message)
                batch.tally.sent += 1
                continue
            self._refused_after_all(message, batch, code, text)

    def _refused_after_all(self, message: Message, batch: _Batch, code: int, text: str) -> None:
        """Correct the hand-over record of a message the server refused at the end of
        DATA, at once rather than at the batch's end."""
        error = f"DATA: {code} {text}"
        if 400 <= code < 500 and message.attempts < self.max_attempts:
            updates = {
                "status": MessageStatus.QUEUED,
                "send_after": timezone.now() + backoff(message.attempts),
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
        message.status = updates["status"]

    def _why_not(self, message: Message, suppressed: set[str]) -> tuple[str, str] | None:
        if message.customer.erased_at is not None:
            return MessageStatus.SKIPPED, "The customer's data was erased."
        address = message.to_address
        if not address:
            return MessageStatus.FAILED, "The customer has no email address."
        try:
            validate_email(address)
        except ValidationError:
            return MessageStatus.FAILED, f"{address!r} is not a valid email address."
        if not address.isascii():
            # smtplib would raise mid-batch; SMTPUTF8 is not supported yet, so say so.
            return MessageStatus.FAILED, f"{address!r} has non-ASCII characters (SMTPUTF8)."
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
        # One statement run per row (executemany): bulk_update's CASE WHEN of 100 rows
        # costs more to build in Django than to run.
        meta, quote = Message._meta, db.ops.quote_name
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        touch, logged = (quote(meta.get_field(f).column) for f in ("touch", "touch_logged"))
        with db.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {touch} = %s, {logged} = %s WHERE {pk} = %s",  # noqa: S608
                [
                    (touch.pk, True, message.pk)
                    for message, touch in zip(messages, touches, strict=True)
                ],
            )
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
