"""The email as the worker writes it (sending.email_bytes): the same email as
build_email() makes with the email package, read back by Python's parser."""

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import SMTP, default

import pytest
from django.utils import timezone

from lifelong.outreach import sending
from lifelong.outreach.models import Message, MessageStatus, Purpose
from lifelong.outreach.outbox import enqueue
from lifelong.outreach.tests.conftest import make_customers, make_program, outgoing

pytestmark = pytest.mark.django_db

LONG_LINE = "word " * 300  # 1,500 characters on one line


def messages_for(rep, purpose=Purpose.MARKETING, **extra) -> list[Message]:
    customers = make_customers(rep, 1)
    enqueue(make_program(purpose), [outgoing(c, **extra) for c in customers], "x")
    return list(Message.objects.select_related("program", "customer__owner", "sender"))


def parse(data: bytes):
    return message_from_bytes(data, policy=default)


def assert_same_email(message: Message) -> None:
    """email_bytes() says what build_email() says, and each header reads back as the
    value it was given (where the email package gets one wrong, the value wins), and the
    bytes are well-formed SMTP content."""
    envelope, now = sending.Envelope.current(), timezone.now()
    raw = sending.email_bytes(message, envelope, now=now)
    fast = parse(raw)
    slow = parse(sending.build_email(message, envelope, now=now).as_bytes(policy=SMTP))
    content = sending._content(message, envelope)
    from_line = raw.split(b"\r\nTo: ")[0]
    if b"\r\n" not in from_line:
        assert fast["From"].addresses[0].display_name == content.display
    else:  # folded encoded words: Python's address parser puts spaces between them
        words = message_from_bytes(raw)["From"]  # as RFC 2047 reads them
        assert str(make_header(decode_header(words))) == f"{content.display} <{envelope.mail_from}>"
    assert fast["From"].addresses[0].addr_spec == envelope.mail_from
    assert fast["Subject"] == message.subject
    assert fast["To"] == message.to_address
    for name in ("Reply-To", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(fast[name]) == str(slow[name]), name
    assert fast.get_content_type() == slow.get_content_type()
    for kind in ("plain", "html"):
        fast_part, slow_part = fast.get_body((kind,)), slow.get_body((kind,))
        assert (fast_part is None) == (slow_part is None), kind
        if fast_part is not None:
            assert fast_part.get_content() == slow_part.get_content(), kind
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_non_ascii_names_subjects_and_bodies_round_trip(smtp_server, business, rep):
    rep.first_name, rep.last_name, rep.email = "Åsa", "Ström", "asa@berg.example"
    rep.save()
    (message,) = messages_for(
        rep,
        subject="Vårens nyheter 🌷 för dig, Åsa - läs mer om våra räntor och erbjudanden i år",
        body_text="Hej Åsa,\n\nVåra räntor har sjunkit 🎉.\n.En rad med punkt\nFrom here\n",
        body_html="<html><body><p>Hej Åsa 🌷</p></body></html>",
    )
    assert_same_email(message)

    run = sending.Worker().run(once=True)
    assert run.sent == 1
    (received,) = smtp_server.received
    email = received.email
    assert email["From"].addresses[0].display_name == "Åsa Ström"
    assert email["Reply-To"].addresses[0].display_name == "Åsa Ström"
    assert email["Subject"] == message.subject
    text = email.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = email.get_body(("html",)).get_content()
    assert text.startswith("Hej Åsa,\n\nVåra räntor har sjunkit 🎉.\n.En rad med punkt\nFrom here")
    assert "Hej Åsa 🌷" in html
    assert "Berg & Co" in text and "Berg &amp; Co" in html
    for part in (text, html):
        assert "Storgatan 1" in part
        assert "https://crm.example.test/outreach/preferences/" in part
    assert html.index("Storgatan 1") < html.index("</body>")
    assert email["List-Unsubscribe"].startswith("<https://crm.example.test/outreach/unsubscribe/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["Message-ID"] == message.message_id
    assert email["Date"].datetime is not None


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"body_html": ""},
        {"from_name": "Berg, Co. \"Sales\""},
        {"from_name": "Emoji 🌷 " * 20},
        {"from_name": "🌷" * 200},
        {"subject": "A plain subject that is rather long, " * 5},
        {"subject": "=?utf-8?q?looks_encoded?="},
        {"body_text": LONG_LINE, "body_html": f"<html><body><p>{LONG_LINE}</p></body></html>"},
        {"body_text": "trailing space \nand\ttab\t\nand\r\nmixed\rends", "body_html": "<p>x</p>"},
        {"body_text": "a line\n.\n..\n. dots", "body_html": "<p>=3D and = signs</p>"},
    ],
    ids=["default", "text only", "specials", "long non-ASCII name",
         "too long for one line", "long subject",
         "encoded-word look-alike", "long lines", "whitespace", "dots and equals"],
)  # fmt: skip
def test_the_written_email_is_the_email_packages(business, rep, extra):
    (message,) = messages_for(rep, **extra)
    assert_same_email(message)


def test_a_relationship_message_has_no_unsubscribe_headers(business, rep):
    (message,) = messages_for(rep, Purpose.RELATIONSHIP)
    email = parse(sending.email_bytes(message, sending.Envelope.current(), now=timezone.now()))
    assert "List-Unsubscribe" not in email and "List-Unsubscribe-Post" not in email
    assert "Storgatan 1" in email.get_body(("plain",)).get_content()
    assert_same_email(message)


def test_the_boundary_never_occurs_in_a_body(business, rep, monkeypatch):
    clash = "==lifelong_" + "ab" * 12 + "=="
    (message,) = messages_for(rep, body_text=f"see {clash}\n", body_html="<p>x</p>")
    tokens = iter(["ab" * 12, "cd" * 12])
    monkeypatch.setattr(sending.secrets, "token_hex", lambda n: next(tokens))
    data = sending.email_bytes(message, sending.Envelope.current(), now=timezone.now())
    assert re.search(rb'boundary="==lifelong_(cd)+=="', data)
    assert parse(data).get_body(("plain",)).get_content().startswith(f"see {clash}")


def test_a_line_break_in_a_header_fails_the_message(smtp_server, business, rep):
    messages_for(rep, subject="Hello\r\nBcc: everyone@example.com")
    tally = sending.Worker().run(once=True)
    assert tally.failed == 1
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert message.last_error.startswith("Could not build the email")
    assert smtp_server.received == []


def test_footers_rendered_once_per_batch_match_a_real_rendering(business, rep):
    """The footer with link marks replaced is what the templates give for the links."""
    envelope = sending.Envelope.current()
    for marketing in (True, False):
        first = envelope.footers(marketing, "https://a.example/p/1/", "https://a.example/u/1/")
        again = envelope.footers(marketing, "https://a.example/p/2/", "https://a.example/u/2/")
        real = sending._render_footers(
            {
                "business": business,
                "marketing": marketing,
                "preferences_url": "https://a.example/p/2/",
                "unsubscribe_url": "https://a.example/u/2/",
            }
        )
        assert "https://a.example/p/1/" in first[0]
        assert again == real
