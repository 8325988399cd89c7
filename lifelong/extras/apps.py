from django.apps import AppConfig


class ExtrasConfig(AppConfig):
    """ "Do a bit more": rules that suggest a surprise extra, the extras given, their cost."""

    name = "lifelong.extras"
    label = "extras"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from lifelong.commerce.models import Purchase
        from lifelong.customers.duplicates import _move, register_merge_handler
        from lifelong.customers.panels import Panel, register
        from lifelong.extras.signals import purchase_saved
        from lifelong.extras.views import extras_panel_context

        post_save.connect(purchase_saved, sender=Purchase, dispatch_uid="extras_suggest")
        # A merge moves the other record's extras and suggestions to the one kept.
        for model in ("ExtraGiven", "ExtraSuggestion"):
            label = f"extras.{model}.customer"
            register_merge_handler(label, _move(label))
        register(Panel("extras", "extras/_panel.html", extras_panel_context, "side", order=60))
