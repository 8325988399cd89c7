from django.urls import path

from lifelong.surveys import public_views, views

app_name = "surveys"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:survey_id>/", views.detail, name="detail"),
    path("<int:survey_id>/edit/", views.edit, name="edit"),
    path("<int:survey_id>/responses.csv", views.responses_csv, name="csv"),
    path("link/<int:customer_id>/", views.make_link, name="link"),
    path("r/<str:token>/", public_views.respond, name="respond"),
]
