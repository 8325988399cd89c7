"""EMAIL_URL forms, and the DATA content the worker writes."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from lifelong.outreach.smtp import SmtpConfig, config_from_env, dot_stuff, parse_email_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpConfig("127.0.0.1", 2525, "plain")),
        ("smtp://mail.example.com", SmtpConfig("mail.example.com", 25, "plain")),
        (
            "smtp+tls://me%40x.com:p%40ss@mail.example.com:587",
            SmtpConfig("mail.example.com", 587, "starttls", "me@x.com", "p@ss"),
        ),
        ("smtp+tls://u:p@h", SmtpConfig("h", 587, "starttls", "u", "p")),
        ("smtps://u:p@h:465?timeout=5", SmtpConfig("h", 465, "ssl", "u", "p", 5.0)),
        ("smtps://h", SmtpConfig("h", 465, "ssl")),
    ],
)
def test_it_reads_each_form_of_email_url(url, expected):
    assert parse_email_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h:25", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://h:99999", "not a valid URL"),
        ("smtp://h:25?timeout=soon", "timeout"),
    ],
)
def test_a_bad_email_url_says_what_is_wrong(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_email_url(url)


def test_the_default_is_local_port_25_and_the_password_is_never_printed(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    assert config_from_env() == SmtpConfig("127.0.0.1", 25, "plain")
    monkeypatch.setenv("EMAIL_URL", "smtps://u:secret@h")
    assert "secret" not in str(config_from_env())


def test_dot_stuffing_doubles_leading_dots_and_ends_in_crlf():
    assert dot_stuff(b"a\n.b\r\n..c\rd") == b"a\r\n..b\r\n...c\r\nd\r\n"
    assert dot_stuff(b"x\r\n") == b"x\r\n"
