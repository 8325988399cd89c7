from django.urls import path

from lifelong.imports import wizard

app_name = "imports"
urlpatterns = [
    path("", wizard.upload, name="upload"),
    path("<str:token>/mapping/", wizard.mapping, name="mapping"),
    path("<str:token>/start/", wizard.start, name="start"),
    path("<str:token>/progress/", wizard.progress, name="progress"),
    path("batches/<int:batch_id>/undo/", wizard.undo, name="undo"),
]
