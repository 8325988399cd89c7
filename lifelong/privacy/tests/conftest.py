"""The outreach tests' SMTP server and business, for the tests that send."""

from lifelong.outreach.tests.conftest import base_url, business, smtp_server  # noqa: F401
