"""Account pages: business settings and users (owner only), API tokens and one's profile."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifelong.accounts import services, throttle
from lifelong.accounts.forms import (
    BusinessForm,
    NewUserForm,
    ProfileForm,
    RoleForm,
    ThrottledAuthenticationForm,
    TokenForm,
)
from lifelong.accounts.models import ApiToken, Business, User

View = Callable[..., HttpResponse]
# The raw token is shown once, on the page after it is created, then forgotten.
_NEW_TOKEN_KEY = "lifelong_new_token"  # noqa: S105 (a session key, not a secret)


def owner_required(view: View) -> View:
    """Log in first; then only the business owner may pass (403 for everybody else)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_owner:
            raise PermissionDenied("Only the business owner can open this page.")
        return view(request, *args, **kwargs)

    return wrapper


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    action: str,
    cancel_url: str,
    confirm_label: str,
    detail: str = "",
    danger: bool = True,
) -> HttpResponse:
    """The confirm step before a destructive POST; it works without JavaScript."""
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "question": question,
            "detail": detail,
            "action": action,
            "cancel_url": cancel_url,
            "confirm_label": confirm_label,
            "danger": danger,
        },
    )


# ---------------------------------------------------------------- signing in


class LoginView(auth_views.LoginView):
    """Django's login page with throttling of failed attempts (docs/security-login.md).

    A refused attempt answers 429 with Retry-After; Django's login() gives the session a
    new key, so a key known before signing in is worthless after it."""

    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.refusal is not None:
            response.status_code = 429
            seconds = (form.refusal.until - timezone.now()).total_seconds()
            response["Retry-After"] = str(max(1, math.ceil(seconds)))
        return response

    def form_valid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        username = form.get_user().get_username()
        throttle.clear(form.cleaned_data["username"], form.client_ip)
        response = super().form_valid(form)
        throttle.remember_device(self.request, response, username)
        return response


# ---------------------------------------------------------------- business settings


@owner_required
def business_settings(request: HttpRequest) -> HttpResponse:
    business = Business.get()
    form = BusinessForm(request.POST or None, instance=business)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})


# ---------------------------------------------------------------- users


@owner_required
def users(request: HttpRequest) -> HttpResponse:
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                data["username"],
                role=data["role"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                for key, errors in e.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:  # the password validators raise a plain list
                form.add_error("password", e)
        else:
            messages.success(request, f"{user.display_name} can now log in as {user.username}.")
            return redirect("accounts:users")
    people = User.objects.order_by("-is_active", "first_name", "last_name", "username")
    rows = [
        (person, RoleForm(initial={"role": person.role}, prefix=f"u{person.pk}"))
        for person in people
    ]
    return render(request, "accounts/users.html", {"form": form, "rows": rows})


@owner_required
@require_POST
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    form = RoleForm(request.POST, prefix=f"u{person.pk}")
    if form.is_valid():
        try:
            services.set_role(person, form.cleaned_data["role"], by=request.user)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, f"{person.display_name} is now {person.get_role_display()}.")
    else:
        messages.error(request, "Choose a role.")
    return redirect("accounts:users")


@owner_required
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate (after a confirm step) or reactivate a user."""
    person = get_object_or_404(User, pk=user_id)
    activate = not person.is_active
    if request.method == "POST":
        try:
            services.set_active(person, activate, by=request.user)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            state = "reactivated" if activate else "deactivated"
            messages.success(request, f"{person.display_name} {state}.")
        return redirect("accounts:users")
    if activate:
        title, question, label = f"Reactivate {person}?", "They can log in again.", "Reactivate"
    else:
        title, label = f"Deactivate {person}?", "Deactivate"
        question = "They can no longer log in, and their API tokens stop working."
    return confirm_page(
        request,
        title=title,
        question=question,
        detail="" if activate else "Their customers stay assigned to them until you move them.",
        action=reverse("accounts:user_active", args=[person.pk]),
        cancel_url=reverse("accounts:users"),
        confirm_label=label,
        danger=not activate,
    )


# ---------------------------------------------------------------- API tokens


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, raw = services.create_token(request.user, form.cleaned_data["name"])
        request.session[_NEW_TOKEN_KEY] = {"id": token.pk, "raw": raw}
        return redirect("accounts:tokens")
    new_token = request.session.pop(_NEW_TOKEN_KEY, None)
    context = {
        "form": form,
        "tokens": request.user.tokens.all(),
        "new_token": new_token,
    }
    return render(request, "accounts/tokens.html", context)


@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if request.method == "POST":
        services.revoke_token(token)
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("accounts:tokens")
    return confirm_page(
        request,
        title=f"Revoke “{token.name}”?",
        question="Anything using this token loses access at once.",
        detail="This cannot be undone; create a new token if you need one again.",
        action=reverse("accounts:token_revoke", args=[token.pk]),
        cancel_url=reverse("accounts:tokens"),
        confirm_label="Revoke",
    )


# ---------------------------------------------------------------- own profile


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Change one's own password (Django's view; it keeps the session logged in)."""

    template_name = "accounts/password.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = "Password changed."


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
