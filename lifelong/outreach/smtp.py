"""The SMTP connection of the worker, configured by EMAIL_URL.

    EMAIL_URL=smtp://127.0.0.1:25                  plain SMTP (the default)
    EMAIL_URL=smtp+tls://user:pass@host:587        STARTTLS after EHLO, then AUTH
    EMAIL_URL=smtps://user:pass@host:465           TLS from the first byte (implicit TLS)

A user name or password with special characters is percent-encoded (`p%40ss` for
`p@ss`). `?timeout=30` sets the socket timeout in seconds (default 60).

The worker does not use Django's email backend: it needs to stop an SMTP transaction
just before the end of DATA (see lifelong/outreach/sending.py), which smtplib allows
through putcmd/getreply/send and Django's backend does not.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEFAULT_EMAIL_URL = "smtp://127.0.0.1:25"
_SCHEMES = {"smtp": ("plain", 25), "smtp+tls": ("starttls", 587), "smtps": ("ssl", 465)}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "plain", "starttls" or "ssl"
    username: str = ""
    password: str = ""
    timeout: float = 60.0

    def __str__(self) -> str:  # never print the password
        user = f"{self.username}@" if self.username else ""
        return f"{self.security} {user}{self.host}:{self.port}"


def parse_email_url(url: str) -> SmtpConfig:
    """The SmtpConfig that `url` describes; ImproperlyConfigured saying what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise ImproperlyConfigured(f"EMAIL_URL {url!r} is not a valid URL: {e}") from None
    if parts.scheme not in _SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL {url!r} must start with smtp://, smtp+tls:// (STARTTLS) or smtps:// "
            "(implicit TLS)."
        )
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL {url!r} names no host, as in smtp://host:25.")
    security, default_port = _SCHEMES[parts.scheme]
    query = parse_qs(parts.query)
    timeout = 60.0
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][-1])
        except ValueError:
            raise ImproperlyConfigured(f"EMAIL_URL {url!r}: timeout must be seconds.") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


def config_from_env() -> SmtpConfig:
    """EMAIL_URL from the environment, or smtp://127.0.0.1:25 when it is not set."""
    return parse_email_url(os.environ.get("EMAIL_URL") or DEFAULT_EMAIL_URL)


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
_LINE_ENDS = re.compile(rb"\r\n|\n|\r")


def dot_stuff(data: bytes) -> bytes:
    """`data` as DATA content: CRLF line ends, a leading dot doubled, ending in CRLF
    (so that the end-of-data marker is the three bytes `.\\r\\n`)."""
    data = _DOT_AT_LINE_START.sub(b"..", _LINE_ENDS.sub(b"\r\n", data))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class SmtpReplyError(Exception):
    """The server refused a command; code 4xx is worth retrying, 5xx is not."""

    def __init__(self, stage: str, code: int, text: str) -> None:
        super().__init__(f"{stage}: {code} {text}")
        self.stage, self.code, self.text = stage, code, text

    @property
    def transient(self) -> bool:
        return 400 <= self.code < 500


class Connection:
    """One SMTP session reused for many messages, each sent in two steps:
    begin() (MAIL, RCPT, DATA and the content) and end() (the end-of-data marker).

    Network failures raise OSError (smtplib.SMTPException included) and leave the
    connection closed; the next begin() opens a new one.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        c = self.config
        # Only for TLS: loading the CA certificates takes some 20 ms.
        context = ssl.create_default_context() if c.security != "plain" else None
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            # The end-of-data marker is a write of its own, three bytes after the content:
            # without TCP_NODELAY, Nagle's algorithm holds it until the server's delayed
            # ACK of the content (40 ms on Linux), which would cap a worker at 25 messages
            # a second.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if c.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password)
        except smtplib.SMTPResponseException as e:
            self.close()
            raise SmtpReplyError("connect", e.smtp_code, _text(e.smtp_error)) from None
        self.smtp = smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def abort(self) -> None:
        """Drop the connection without QUIT: a DATA in progress is discarded by the server."""
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            smtp.close()

    def begin(self, mail_from: str, rcpt_to: str, content: bytes) -> None:
        """Everything of one message but the end-of-data marker."""
        (error,) = begin_many([(self, mail_from, rcpt_to, content)])
        if error is not None:
            raise error

    def end(self) -> tuple[int, str]:
        """Write the end-of-data marker and read the server's verdict on the message."""
        self.send_end()
        return self.read_end()

    def send_end(self) -> None:
        """Write the end-of-data marker `.\\r\\n`: from here the server may have the message."""
        smtp = self.smtp
        assert smtp is not None
        try:
            smtp.send(b".\r\n")
        except (OSError, smtplib.SMTPServerDisconnected):
            self.abort()
            raise

    def read_end(self) -> tuple[int, str]:
        """The server's verdict on the message whose marker send_end() wrote."""
        smtp = self.smtp
        assert smtp is not None
        try:
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected):
            self.abort()
            raise
        if code == 421:
            self.abort()
        return code, _text(text)

    def _put(self, command: str) -> None:
        assert self.smtp is not None
        try:
            self.smtp.putcmd(command)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.abort()
            raise

    def _reply(self, stage: str, ok: tuple[int, ...]) -> None:
        assert self.smtp is not None
        try:
            code, text = self.smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected):
            self.abort()
            raise
        if code not in ok:
            if code == -1 or code == 421:  # the server is going away
                self.abort()
            else:
                self._reset()
            raise SmtpReplyError(stage, code, _text(text))

    def _send(self, data: bytes) -> None:
        assert self.smtp is not None
        try:
            self.smtp.send(data)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.abort()
            raise

    def _reset(self) -> None:
        assert self.smtp is not None
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.abort()


_STAGES = (
    ("MAIL FROM", "mail FROM:<{}>", (250,)),
    ("RCPT TO", "rcpt TO:<{}>", (250, 251)),
    ("DATA", "data", (354,)),
)


def begin_many(
    jobs: list[tuple[Connection, str, str, bytes]],
) -> list[OSError | SmtpReplyError | None]:
    """Connection.begin() of one message on each of several connections, side by side:
    each command goes out on every connection before any reply is read, so the server
    works on all of them while this process waits once per stage, not once per message.

    `jobs` are (connection, envelope sender, recipient, content), one per connection.
    Per job: None when all but the end-of-data marker is written, else the error that
    begin() would raise (OSError for a network failure, SmtpReplyError for a refusal).
    """
    errors: list[OSError | SmtpReplyError | None] = [None] * len(jobs)
    for i, (connection, *_rest) in enumerate(jobs):
        if connection.smtp is None:
            try:
                connection.open()
            except (OSError, SmtpReplyError) as e:
                errors[i] = e
    for stage, command, ok in _STAGES:
        live = [i for i in range(len(jobs)) if errors[i] is None]
        written = []
        for i in live:
            connection, mail_from, rcpt_to, _content = jobs[i]
            try:
                connection._put(command.format(mail_from if stage == "MAIL FROM" else rcpt_to))
                written.append(i)
            except OSError as e:
                errors[i] = e
        for i in written:
            try:
                jobs[i][0]._reply(stage, ok)
            except (OSError, SmtpReplyError) as e:
                errors[i] = e
    for i, (connection, _from, _to, content) in enumerate(jobs):
        if errors[i] is None:
            try:
                connection._send(dot_stuff(content))
            except OSError as e:
                errors[i] = e
    return errors


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
