from django.apps import AppConfig


class OccasionsConfig(AppConfig):
    name = "lifelong.occasions"
    label = "occasions"

    def ready(self) -> None:
        from lifelong.customers.panels import Panel, register
        from lifelong.occasions import signals
        from lifelong.occasions.views import occasion_panel_context

        signals.connect()
        register(Panel("occasions", "occasions/_panel.html", occasion_panel_context, "side", 20))
