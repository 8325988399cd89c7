from django.apps import AppConfig


class ExtrasConfig(AppConfig):
    """ "Do a bit more": rules that suggest a surprise extra, the extras given, their cost."""

    name = "lifelong.extras"
    label = "extras"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from lifelong.commerce.models import Purchase
        from lifelong.customers.panels import Panel, register
        from lifelong.extras.signals import purchase_saved
        from lifelong.extras.views import extras_panel_context

        post_save.connect(purchase_saved, sender=Purchase, dispatch_uid="extras_suggest")
        register(Panel("extras", "extras/_panel.html", extras_panel_context, "side", order=60))
