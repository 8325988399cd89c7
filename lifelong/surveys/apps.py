from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Satisfaction and NPS surveys answered by tokenised link."""

    name = "lifelong.surveys"
    label = "surveys"
