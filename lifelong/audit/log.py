"""record(): the one way to add to the audit trail.

Call it where personal data is viewed, exported, created, changed, deleted or erased.
`target` names the KIND of record ("customer", "customer.relatives", "customers csv
export"); never pass names, emails, notes or any other value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from lifelong.audit.models import Action, AuditEvent, Via

if TYPE_CHECKING:
    from lifelong.accounts.models import User


def record(
    actor: User | None,
    action: str,
    *,
    customer_id: int | None = None,
    target: str = "",
    via: str = "web",
    ip: str = "",
) -> None:
    """Add one row to the audit trail; actor None means the system (a worker, a script)."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}; one of {', '.join(Action.values)}.")
    if via not in Via.values:
        raise ValueError(f"Unknown audit channel {via!r}; one of {', '.join(Via.values)}.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser: nobody to name
    AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        customer_id=customer_id,
        target=target[:100],
        via=via,
        ip=ip or None,
    )


def record_request(
    request: HttpRequest, action: str, *, customer_id: int | None = None, target: str = ""
) -> None:
    """record() with the actor, channel ("api" under /api/) and address taken from a request."""
    via = Via.API if request.path.startswith("/api/") else Via.WEB
    # django-ninja's token auth sets request.auth to the user; sessions set request.user.
    actor = getattr(request, "auth", None)
    if not getattr(actor, "is_authenticated", False):
        actor = getattr(request, "user", None)
    record(
        actor,
        action,
        customer_id=customer_id,
        target=target,
        via=via,
        ip=request.META.get("REMOTE_ADDR", ""),
    )
