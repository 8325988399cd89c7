from django.urls import path

from lifelong.outreach import program_views, template_views, views

app_name = "outreach"
urlpatterns: list = []

# Message templates (outreach/template_views.py).
urlpatterns += [
    path("templates/", template_views.template_list, name="templates"),
    path("templates/new/", template_views.template_new, name="template_new"),
    path("templates/<int:template_id>/", template_views.template_detail, name="template"),
    path("templates/<int:template_id>/edit/", template_views.template_edit, name="template_edit"),
    path(
        "templates/<int:template_id>/restore/",
        template_views.template_restore,
        name="template_restore",
    ),
    path(
        "templates/<int:template_id>/delete/",
        template_views.template_delete,
        name="template_delete",
    ),
]

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

# Programs and the drafts they make (outreach/program_views.py).
urlpatterns += [
    path("programs/", program_views.program_list, name="programs"),
    path("programs/new/", program_views.program_new, name="program_new"),
    path("programs/<int:program_id>/", program_views.program_detail, name="program"),
    path("programs/<int:program_id>/edit/", program_views.program_edit, name="program_edit"),
    path("programs/<int:program_id>/run/", program_views.program_run, name="program_run"),
    path("programs/<int:program_id>/toggle/", program_views.program_toggle, name="program_toggle"),
    path("drafts/", program_views.draft_list, name="drafts"),
    path("drafts/approve-all/", program_views.draft_approve_all, name="drafts_approve_all"),
    path("drafts/<int:message_id>/", program_views.draft_edit, name="draft"),
    path("drafts/<int:message_id>/act/", program_views.draft_act, name="draft_act"),
]
