from django.apps import AppConfig


class TouchesConfig(AppConfig):
    name = "lifelong.touches"
    label = "touches"
