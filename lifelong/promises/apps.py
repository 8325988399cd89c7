from django.apps import AppConfig


class PromisesConfig(AppConfig):
    """The promise ledger: what was promised to whom, by when, and whether it was kept."""

    name = "lifelong.promises"
    label = "promises"
