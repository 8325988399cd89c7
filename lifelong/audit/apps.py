from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who viewed, exported, changed or erased personal data: an append-only trail."""

    name = "lifelong.audit"
    label = "audit"
