"""Everything held about one customer, as one JSON document (the right of access).

Built from the model registry, not a list: the customer's row, then the rows of every
relation that points at Customer (customers.duplicates.customer_relations(), hidden ones
included), then the rows that hang off those rows without pointing at the customer
themselves (an occasion's calendar marks), then a few places that name the customer by
id or address rather than by a foreign key (the audit trail, import batches, the
suppression list). A relation added by a later feature is exported without a change
here; one that should not be is listed in EXCLUDED with the reason, and a test fails for
a relation that is neither. Values are written as `lifelong export all` writes them
(lifelong.portability), plus a readable label beside each reference ("question_label":
"Date of birth").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from lifelong import portability
from lifelong.customers.duplicates import customer_relations
from lifelong.customers.models import Customer

FORMAT = "lifelong-privacy-export"
VERSION = 1

# Relations to Customer deliberately left out of the export, and why.
EXCLUDED: dict[str, str] = {
    "customers.SearchTerm.customer": (
        "the search index: words taken from the name, company, emails and phones, "
        "which are exported themselves"
    ),
    "customers.NotDuplicate.a": (
        "a note that this record and another customer's are different people; it names "
        "the other customer"
    ),
    "customers.NotDuplicate.b": "as customers.NotDuplicate.a",
}


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _rows(model: type[models.Model], qs: models.QuerySet, labels: _Labels) -> list[dict]:
    fields = model._meta.local_concrete_fields
    dumpers = [portability._dumper(f, labels.members) for f in fields]
    out = []
    for obj in qs.order_by("pk"):
        row: dict[str, Any] = {}
        for f, dump in zip(fields, dumpers, strict=True):
            value = getattr(obj, f.attname)
            row[f.name] = dump(value)
            if f.is_relation and value is not None and f.related_model is not Customer:
                row[f"{f.name}_label"] = labels.of(f.related_model, value)
        out.append(row)
    return out


class _Labels:
    """str() of the rows references point at (a question, a product, a user), cached."""

    def __init__(self) -> None:
        self.cache: dict[tuple[type, Any], str] = {}
        # What `export all` writes: references to these are plain ids (portability).
        self.members = set(portability.exported_models())

    def of(self, model: type[models.Model], pk: Any) -> str:
        key = (model, pk)
        if key not in self.cache:
            obj = model._base_manager.filter(pk=pk).first()
            if obj is None:
                text = ""
            elif hasattr(obj, "get_username"):
                text = obj.get_full_name() or obj.get_username()  # never a password
            else:
                text = str(obj)
            self.cache[key] = text
        return self.cache[key]


def _relation_rows(label: str, customer: Customer) -> tuple[type[models.Model], models.QuerySet]:
    app_label, name, field_name = label.split(".")
    model = apps.get_model(app_label, name)
    column = model._meta.get_field(field_name).attname
    return model, model._base_manager.filter(**{column: customer.pk})


def _children(
    parents: dict[type[models.Model], list[int]], direct: set[type[models.Model]]
) -> Iterable[tuple[str, type[models.Model], models.QuerySet]]:
    """Rows pointing at the exported rows of `parents` whose model does not point at
    Customer itself (those are exported whole already)."""
    for parent, ids in parents.items():
        if not ids:
            continue
        for rel in parent._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete and rel.is_relation):
                continue
            if rel.many_to_many or rel.related_model in direct or rel.related_model is Customer:
                continue
            child = rel.related_model
            qs = child._base_manager.filter(**{f"{rel.field.attname}__in": ids})
            yield f"{_label(child)}.{rel.field.name}", child, qs


def _by_id_or_address(
    customer: Customer, addresses: list[str], labels: _Labels
) -> dict[str, list[dict]]:
    """What names the customer without a foreign key."""
    from lifelong.audit.models import AuditEvent
    from lifelong.imports.models import ImportBatch
    from lifelong.outreach.compliance import address_hash
    from lifelong.outreach.models import Suppression

    out = {
        "audit.AuditEvent.customer_id": _rows(
            AuditEvent, AuditEvent.objects.filter(customer_id=customer.pk), labels
        ),
        "outreach.Suppression.address_hash": _rows(
            Suppression,
            Suppression.objects.filter(address_hash__in=[address_hash(a) for a in addresses]),
            labels,
        ),
    }
    changes = []
    for batch in ImportBatch.objects.only("pk", "created_at", "file_name", "updated").iterator():
        for change in batch.updated or []:
            if isinstance(change, dict) and change.get("id") == customer.pk:
                changes.append(
                    {
                        "import_batch": batch.pk,
                        "file_name": batch.file_name,
                        "at": batch.created_at.isoformat(),
                        "changed": change,
                    }
                )
    out["imports.ImportBatch.updated"] = changes
    return out


def export_customer(customer: Customer, *, exported_at: dt.datetime | None = None) -> dict:
    """Everything held about `customer`, JSON-ready (see the module's docstring)."""
    labels = _Labels()
    own = {}
    for f in Customer._meta.local_concrete_fields:
        value = getattr(customer, f.attname)
        own[f.name] = portability._dumper(f, labels.members)(value)
        if f.is_relation and value is not None and f.related_model is not Customer:
            own[f"{f.name}_label"] = labels.of(f.related_model, value)
    own["tags"] = sorted(customer.tags.values_list("name", flat=True))

    related: dict[str, list[dict]] = {}
    parents: dict[type[models.Model], list[int]] = {}
    direct: set[type[models.Model]] = set()
    for label in customer_relations():
        if label in EXCLUDED:
            continue
        model, qs = _relation_rows(label, customer)
        direct.add(model)
        rows = _rows(model, qs, labels)
        related[label] = rows
        parents.setdefault(model, []).extend(r["id"] for r in rows if "id" in r)
    children = {}
    for label, model, qs in _children(parents, direct):
        children[label] = _rows(model, qs, labels)
    addresses = [r["address"] for r in related.get("customers.CustomerEmail.customer", [])]
    addresses += [
        r["to_address"] for r in related.get("outreach.Message.customer", []) if r["to_address"]
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (exported_at or timezone.now()).isoformat(),
        "customer_id": customer.pk,
        "customer": own,
        "related": related,
        "children": children,
        "other_records": _by_id_or_address(customer, sorted(set(addresses)), labels),
        "excluded": EXCLUDED,
    }
