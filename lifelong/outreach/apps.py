from django.apps import AppConfig


class OutreachConfig(AppConfig):
    """Templates, programs, the outbox, sending, unsubscribe and suppression."""

    name = "lifelong.outreach"
    label = "outreach"
