from django.urls import path

from lifelong.occasions import views

app_name = "occasions"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed/reset/", views.reset, name="reset"),
    path("feed/<str:token>.ics", views.calendar, name="feed"),
    path("<int:customer_id>/add/", views.add, name="add"),
    path("<int:customer_id>/<int:occasion_id>/delete/", views.delete, name="delete"),
]
