from django.urls import path

from lifelong.outreach import views

app_name = "outreach"
urlpatterns: list = []

# The outbox, the suppression list and the public unsubscribe pages (outreach/views.py).
urlpatterns += [
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/", views.message_detail, name="message"),
    path("outbox/<int:pk>/retry/", views.message_retry, name="message_retry"),
    path("suppressions/", views.suppression_list, name="suppressions"),
    path("suppressions/<int:pk>/remove/", views.suppression_remove, name="suppression_remove"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
]
