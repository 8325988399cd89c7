from django.urls import path

from lifelong.agenda import views

app_name = "agenda"
urlpatterns = [
    path("", views.today, name="today"),
    path("week/", views.week, name="week"),
    path("act/", views.act, name="act"),
]
