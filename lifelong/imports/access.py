"""Reaching import batches: owners and managers see every batch, a rep the ones they
imported. (A batch in progress lives in its uploader's session, keyed by a token.)"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from lifelong.accounts.models import User
from lifelong.imports.models import ImportBatch


def batches_visible_to(user: User) -> QuerySet[ImportBatch]:
    if not user.is_authenticated or not user.is_active:
        return ImportBatch.objects.none()
    if user.sees_all_customers:
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(created_by=user)


def get_batch_for_user(user: User, pk: int | str) -> ImportBatch:
    """The import batch with this id if `user` may see it; Http404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such import") from None
    batch = batches_visible_to(user).select_related("created_by").filter(pk=pk).first()
    if batch is None:
        raise Http404("No such import")
    return batch
