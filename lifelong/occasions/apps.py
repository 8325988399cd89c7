from django.apps import AppConfig


class OccasionsConfig(AppConfig):
    name = "lifelong.occasions"
    label = "occasions"
