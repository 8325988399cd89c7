"""Who may change what the whole business shares (products, segments, templates, programs,
surveys, events): owners and managers. Everybody may read it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from lifelong.accounts.models import User


def manages_business(user: User) -> bool:
    """Owners and managers: they see every customer and keep the shared setup."""
    return bool(user.is_authenticated and user.is_active and user.sees_all_customers)


def require_manager(user: User, action: str) -> None:
    """PermissionDenied ("Only owners and managers can <action>.") for anybody else."""
    if not manages_business(user):
        raise PermissionDenied(f"Only owners and managers can {action}.")
