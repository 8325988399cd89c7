from django.apps import AppConfig


class TouchesConfig(AppConfig):
    name = "lifelong.touches"
    label = "touches"

    def ready(self) -> None:
        from lifelong.customers.panels import Panel, register
        from lifelong.touches.views import touch_panel_context

        register(Panel("touches", "touches/_panel.html", touch_panel_context, "main", order=10))
