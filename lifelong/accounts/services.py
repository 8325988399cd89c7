"""Write actions for users, the business and API tokens."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lifelong.accounts.models import ApiToken, Role, User, hash_token


@transaction.atomic
def create_user(
    username: str,
    *,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Create a user with a role; the password is checked by Django's validators."""
    if role not in Role.values:
        raise ValueError(f"role must be one of {', '.join(Role.values)}")
    user = User(
        username=username, role=role, first_name=first_name, last_name=last_name, email=email
    )
    user.full_clean(exclude=["password"])
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with the raw value, which is never stored."""
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user, name=name.strip() or "API token", key_hash=hash_token(raw), hint=raw[:10]
    )
    return token, raw


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def user_for_token(raw: str) -> User | None:
    """The active user behind a raw bearer token, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write at most once a minute: a busy client should not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def set_role(user: User, role: str, *, by: User) -> None:
    """Give `user` another role; nobody changes their own, so no owner locks themselves out."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Choose one of: {', '.join(Role.values)}."]})
    if user.pk == by.pk:
        raise ValidationError({"role": ["You cannot change your own role."]})
    if user.role != role:
        user.role = role
        user.save(update_fields=["role"])


def set_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate (the user can no longer log in, their tokens stop working) or reactivate."""
    if user.pk == by.pk and not active:
        raise ValidationError("You cannot deactivate yourself.")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
