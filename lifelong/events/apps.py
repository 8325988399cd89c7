from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events, invitations with RSVP by link, capacity and attendance."""

    name = "lifelong.events"
    label = "events"
