from django.urls import path

from lifelong.privacy import views

app_name = "privacy"
urlpatterns = [
    path("customers/<int:pk>/export.json", views.export_json, name="export"),
    path("customers/<int:pk>/erase/", views.erase, name="erase"),
    path("retention/", views.retention_list, name="retention"),
    path("retention/<int:pk>/keep/", views.retention_keep, name="retention_keep"),
]
