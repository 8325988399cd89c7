from lifelong.outreach.tests.conftest import base_url, business, smtp_server  # noqa: F401
