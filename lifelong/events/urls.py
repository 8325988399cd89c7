from django.urls import path

from lifelong.events import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.event_new, name="new"),
    path("<int:event_id>/", views.event_detail, name="detail"),
    path("<int:event_id>/edit/", views.event_edit, name="edit"),
    path("<int:event_id>/invite/", views.event_invite, name="invite"),
    path("<int:event_id>/attendance/", views.event_attendance, name="attendance"),
    path("rsvp/<str:token>/", views.rsvp, name="rsvp"),
]
