from django.urls import path

from lifelong.value import risk_views, views

app_name = "value"
urlpatterns = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
    path("holdout/", views.holdout, name="holdout"),
    path("at-risk/", risk_views.at_risk, name="at_risk"),
]
