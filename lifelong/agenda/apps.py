from django.apps import AppConfig


class AgendaConfig(AppConfig):
    """Reads every app and ranks today's actions; owns no domain data."""

    name = "lifelong.agenda"
    label = "agenda"
