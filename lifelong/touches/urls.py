from django.urls import path

from lifelong.touches import coverage_views, views

app_name = "touches"
urlpatterns = [
    path("coverage/", coverage_views.coverage, name="coverage"),
    path("<int:customer_id>/", views.timeline, name="timeline"),
    path("<int:customer_id>/log/", views.log, name="log"),
    path("<int:customer_id>/<int:touch_id>/edit/", views.edit, name="edit"),
    path("<int:customer_id>/<int:touch_id>/delete/", views.delete, name="delete"),
]
