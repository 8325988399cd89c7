from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Customers brought in from CSV, vCard, Google Contacts and HubSpot files, and undone."""

    name = "lifelong.imports"
    label = "imports"
