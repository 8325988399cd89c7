from django.urls import path

from lifelong.value import views

app_name = "value"
urlpatterns = [
    path("", views.index, name="index"),
    path("refresh/", views.refresh, name="refresh"),
    path("holdout/", views.holdout, name="holdout"),
]
