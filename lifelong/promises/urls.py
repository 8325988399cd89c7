from django.urls import path

from lifelong.promises import views

app_name = "promises"
urlpatterns = [
    path("", views.index, name="index"),
    path("customer/<int:customer_id>/new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/keep/", views.keep, name="keep"),
    path("<int:pk>/break/", views.break_, name="break"),
    path("<int:pk>/renegotiate/", views.renegotiate, name="renegotiate"),
]
