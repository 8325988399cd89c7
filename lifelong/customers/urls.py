from django.urls import path

from lifelong.customers import views, views_duplicates

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_new, name="new"),
    path("duplicates/", views_duplicates.duplicate_list, name="duplicates"),
    path("duplicates/<int:a>/<int:b>/merge/", views_duplicates.merge, name="merge"),
    path(
        "duplicates/<int:a>/<int:b>/dismiss/",
        views_duplicates.duplicate_dismiss,
        name="duplicate_dismiss",
    ),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:question_id>/move/", views.question_move, name="question_move"),
    path(
        "questions/<int:question_id>/visibility/",
        views.question_visibility,
        name="question_visibility",
    ),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/archive/", views.customer_archive, name="archive"),
    path("<int:pk>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/answers/<int:question_id>/", views.answer_row, name="answer"),
    path("<int:pk>/answers/<int:question_id>/edit/", views.answer_edit, name="answer_edit"),
    path("<int:pk>/relatives/new/", views.relative_new, name="relative_new"),
    path("<int:pk>/relatives/<int:relative_id>/edit/", views.relative_edit, name="relative_edit"),
    path(
        "<int:pk>/relatives/<int:relative_id>/delete/",
        views.relative_delete,
        name="relative_delete",
    ),
]
