from importlib import import_module

from django.apps import AppConfig


class ValueConfig(AppConfig):
    """The value app. Its Django models live in value/records.py, not value/models/.

    value/models/ is the pure numpy/scipy library (DESIGN.md: no Django there), so this
    app points Django at records.py for its ORM models instead.
    """

    name = "lifelong.value"
    label = "value"

    def import_models(self) -> None:
        self.models = self.apps.all_models[self.label]
        self.models_module = import_module(f"{self.name}.records")

    def ready(self) -> None:
        from lifelong.customers.panels import Panel, register
        from lifelong.value.records import RiskMark, RiskScore
        from lifelong.value.views import value_panel_context

        # First in the main column: who this customer is worth comes before what they did.
        register(Panel("value", "value/_panel.html", value_panel_context, "main", order=5))

        from lifelong.customers.duplicates import register_merge_handler

        # The at-risk agenda mark is one per customer: keep's stands, other's goes.
        register_merge_handler(
            "value.RiskMark.customer",
            lambda m: RiskMark.objects.filter(customer=m.other).delete(),
        )
        # A stored risk score is recomputed nightly: the other's goes with them.
        register_merge_handler(
            "value.RiskScore.customer",
            lambda m: RiskScore.objects.filter(customer=m.other).delete(),
        )
