from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "lifelong.commerce"
    label = "commerce"

    def ready(self) -> None:
        from lifelong.commerce.views import purchase_panel_context
        from lifelong.customers.panels import Panel, register

        # After the touches (order 10): the timeline is what a rep reads first.
        register(
            Panel("purchases", "commerce/_panel.html", purchase_panel_context, "main", order=20)
        )
