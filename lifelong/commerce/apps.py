from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "lifelong.commerce"
    label = "commerce"
