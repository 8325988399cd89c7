from django.apps import AppConfig


class ExtrasConfig(AppConfig):
    """"Do a bit more": rules that suggest a surprise extra, the extras given, their cost."""

    name = "lifelong.extras"
    label = "extras"
