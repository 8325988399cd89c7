from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    """Saved customer filters that programs, events and upgrade offers send to."""

    name = "lifelong.segments"
    label = "segments"
