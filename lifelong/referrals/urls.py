from django.urls import path

from lifelong.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:customer_id>/add/", views.add, name="add"),
    path("<int:customer_id>/ask/", views.ask, name="ask"),
    path("r/<int:referral_id>/status/", views.set_status, name="status"),
    path("r/<int:referral_id>/delete/", views.delete, name="delete"),
]
