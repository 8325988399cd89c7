from django.urls import path

from lifelong.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/", views.business_settings, name="settings"),
    path("users/", views.users, name="users"),
    path("users/<int:user_id>/role/", views.user_role, name="user_role"),
    path("users/<int:user_id>/active/", views.user_active, name="user_active"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
]
