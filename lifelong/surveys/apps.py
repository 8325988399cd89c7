from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Satisfaction and NPS surveys answered by tokenised link."""

    name = "lifelong.surveys"
    label = "surveys"

    def ready(self) -> None:
        from lifelong.customers.panels import Panel, register
        from lifelong.surveys.views import survey_panel_context

        register(Panel("surveys", "surveys/_panel.html", survey_panel_context, "main", 35))
