from django.urls import path

from lifelong.extras import views

app_name = "extras"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.add_extra, name="add_extra"),
    path("rules/new/", views.add_rule, name="add_rule"),
    path("<str:kind>/<int:pk>/toggle/", views.toggle, name="toggle"),
    path("give/<int:customer_id>/", views.give, name="give"),
]
