from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Privacy rights: a customer's data out as JSON, erasure, consent history, retention."""

    name = "lifelong.privacy"
    label = "privacy"

    def ready(self) -> None:
        from lifelong.customers.duplicates import _drop, _move, register_merge_handler
        from lifelong.customers.panels import Panel, register
        from lifelong.privacy.views import privacy_panel_context

        register(Panel("privacy", "privacy/_panel.html", privacy_panel_context, "side", 90))
        # Merge: the consent history of both records is one person's; a retention review
        # of the record that goes says nothing about the one kept.
        register_merge_handler(
            "privacy.ConsentChange.customer", _move("privacy.ConsentChange.customer")
        )
        register_merge_handler(
            "privacy.RetentionReview.customer", _drop("privacy.RetentionReview.customer")
        )
