from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events, invitations with RSVP by link, capacity and attendance."""

    name = "lifelong.events"
    label = "events"

    def ready(self) -> None:
        from lifelong.customers.duplicates import _unique_by, register_merge_handler

        # A merged customer keeps one invitation per event: keep's own where both had one.
        label = "events.Invitation.customer"
        register_merge_handler(label, _unique_by(label, "event"))
