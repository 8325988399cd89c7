"""The import wizard: upload → preview and mapping → dry run → import with a progress bar.

A thin layer over lifelong.imports (read_table, guess_mapping, import_customers,
undo_import). The uploaded file waits in VAR_DIR/uploads under a random name that only
the uploader's session knows; the import itself runs in a thread that writes its
progress next to the file, and the page polls it (htmx). Both files are removed when
the import ends.
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lifelong.accounts.models import User
from lifelong.accounts.views import confirm_page
from lifelong.imports.access import batches_visible_to, get_batch_for_user
from lifelong.imports.mapping import ON_DUPLICATE, TARGETS, Mapping, guess_mapping
from lifelong.imports.reading import DATE_ORDERS, FORMATS, Table, UnusableFile, read_table
from lifelong.imports.services import ImportReport, import_customers, undo_import

MAX_UPLOAD = 200 * 1024 * 1024
PREVIEW = 20
SKIP = ""  # the mapping form's "do not import" choice
TARGET_LABELS = {
    "full_name": "Full name (split)",
    "email": "Email",
    "phone": "Phone",
    "email_consent": "Marketing consent",
    "wedding_anniversary": "Wedding anniversary",
    "event": "Event (anniversary)",
    "external_id": "External id",
    "how_we_met": "How we met",
}


def _uploads() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state(request: HttpRequest, token: str) -> dict[str, Any]:
    """The wizard's state for `token`, which only this session holds (404 otherwise)."""
    state = request.session.get("imports", {}).get(token)
    if state is None or not (_uploads() / f"{token}.bin").exists():
        raise Http404("No such upload")
    return state


def _save_state(request: HttpRequest, token: str, state: dict[str, Any]) -> None:
    wizard = request.session.get("imports", {})
    wizard[token] = state
    request.session["imports"] = wizard


def _table(token: str, state: dict[str, Any]) -> Table:
    data = (_uploads() / f"{token}.bin").read_bytes()
    return read_table(
        data,
        format=state["format"],
        delimiter=state["delimiter"],
        date_order=state["date_order"],
        file_name=state["file_name"],
    )


def _label(target: str) -> str:
    if target in TARGET_LABELS:
        return TARGET_LABELS[target]
    kind, _, label = target.partition(":")
    text = kind.replace("_", " ").capitalize()
    return f"{text} ({label})" if label else text


# ---------------------------------------------------------------- 1. upload


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        file = request.FILES.get("file")
        fmt = request.POST.get("format", "auto")
        delimiter = request.POST.get("delimiter", "auto")
        date_order = request.POST.get("date_order", "DMY")
        if file is None:
            error = "Choose a file to import."
        elif file.size > MAX_UPLOAD:
            error = f"The file is larger than {MAX_UPLOAD // 1024 // 1024} MB."
        else:
            data = file.read()
            try:
                read_table(data, format=fmt, delimiter=delimiter, date_order=date_order)
            except UnusableFile as e:
                error = f"This file cannot be imported: {e}."
            else:
                token = secrets.token_urlsafe(16)
                (_uploads() / f"{token}.bin").write_bytes(data)
                state = {"file_name": file.name[:255], "format": fmt, "delimiter": delimiter,
                         "date_order": date_order}  # fmt: skip
                _save_state(request, token, state)
                return redirect("imports:mapping", token)
    batches = batches_visible_to(request.user).select_related("created_by")
    context = {
        "error": error,
        "formats": FORMATS,
        "date_orders": DATE_ORDERS,
        "batches": batches[:10],
    }
    return render(request, "imports/upload.html", context, status=400 if error else 200)


# ---------------------------------------------------------------- 2. preview and mapping


def _mapping_from_post(request: HttpRequest, table: Table, guess: Mapping) -> Mapping:
    columns = {}
    for i, column in enumerate(table.columns):
        target = request.POST.get(f"col-{i}", SKIP)
        if target != SKIP and column:
            columns[column] = target
    labels = {c: lab for c, lab in guess.labels.items() if c in columns}
    on_duplicate = request.POST.get("on_duplicate", "skip")
    return Mapping(
        columns=columns,
        labels=labels,
        date_order=table.date_order,
        on_duplicate=on_duplicate if on_duplicate in ON_DUPLICATE else "skip",
    )


def _owner_from_post(request: HttpRequest) -> User | None:
    owner_id = request.POST.get("owner") or ""
    if not owner_id or not request.user.sees_all_customers:
        return None
    return User.objects.filter(pk=owner_id, is_active=True).first() if owner_id.isdigit() else None


@login_required
def mapping(request: HttpRequest, token: str) -> HttpResponse:
    state = _state(request, token)
    try:
        table = _table(token, state)
    except UnusableFile as e:
        messages.error(request, f"This file cannot be imported: {e}.")
        return redirect("imports:upload")
    guess = guess_mapping(table.columns, table.format)
    current = Mapping(columns=state.get("columns", guess.columns), labels=guess.labels)
    errors: list[str] = []
    report: ImportReport | None = None
    if request.method == "POST":
        chosen = _mapping_from_post(request, table, guess)
        owner = _owner_from_post(request)
        try:
            chosen.validate()
            if not chosen.columns:
                raise ValidationError("Choose at least one column to import.")
            report = import_customers(
                table, chosen, by=request.user, owner=owner,
                on_duplicate=chosen.on_duplicate, dry_run=True,
            )  # fmt: skip
        except ValidationError as e:
            errors = e.messages
        except PermissionDenied as e:
            errors = [str(e)]
        state.update(
            columns=chosen.columns,
            on_duplicate=chosen.on_duplicate,
            owner=owner.pk if owner else None,
        )
        _save_state(request, token, state)
        current = chosen
    rows = table.preview(PREVIEW)
    width = len(table.columns)
    context = {
        "token": token,
        "state": state,
        "table": table,
        "preview": [row.cells + [""] * (width - len(row.cells)) for row in rows],
        "preview_lines": [row.line for row in rows],
        "columns": [
            (i, column, current.columns.get(column, SKIP)) for i, column in enumerate(table.columns)
        ],
        "targets": [(t, _label(t)) for t in TARGETS],
        "unmapped": current.unmapped(table.columns),
        "errors": errors,
        "report": report,
        "rejected": report.rejected[:200] if report else [],
        "owners": User.objects.filter(is_active=True).order_by("username")
        if request.user.sees_all_customers
        else None,
    }
    return render(request, "imports/mapping.html", context, status=400 if errors else 200)


# ---------------------------------------------------------------- 3. import, in a thread


def _progress_file(token: str) -> Path:
    return _uploads() / f"{token}.json"


def _write_progress(token: str, data: dict[str, Any]) -> None:
    tmp = _uploads() / f"{token}.json.tmp"
    tmp.write_text(json.dumps(data))
    tmp.replace(_progress_file(token))


def _run(token: str, state: dict[str, Any], user_id: int) -> None:
    """The import itself, in its own thread and database connection."""
    close_old_connections()
    try:
        table = _table(token, state)
        total = table.count()
        done = 0
        _write_progress(token, {"status": "running", "done": 0, "total": total})

        def progress(n: int) -> None:
            nonlocal done
            done += n
            _write_progress(token, {"status": "running", "done": done, "total": total})

        user = User.objects.get(pk=user_id)
        owner = User.objects.filter(pk=state.get("owner")).first() if state.get("owner") else None
        chosen = Mapping(columns=state["columns"], date_order=table.date_order,
                         labels=guess_mapping(table.columns, table.format).labels)  # fmt: skip
        chosen.labels = {c: lab for c, lab in chosen.labels.items() if c in chosen.columns}
        report = import_customers(
            table, chosen, by=user, owner=owner,
            on_duplicate=state.get("on_duplicate") or "skip", progress=progress,
        )  # fmt: skip
        _write_progress(token, {
            "status": "done", "done": total, "total": total,
            "batch": report.batch.pk if report.batch else None,
            "created": report.created, "updated": report.updated,
            "skipped": report.skipped, "rejected": len(report.rejected),
        })  # fmt: skip
    except Exception as e:  # the page must say it failed, whatever the reason
        _write_progress(token, {"status": "failed", "error": str(e)})
        raise
    finally:
        (_uploads() / f"{token}.bin").unlink(missing_ok=True)
        connection.close()


@login_required
@require_POST
def start(request: HttpRequest, token: str) -> HttpResponse:
    state = _state(request, token)
    if not state.get("columns"):
        messages.error(request, "Check the mapping with a dry run first.")
        return redirect("imports:mapping", token)
    _write_progress(token, {"status": "starting", "done": 0, "total": 0})
    threading.Thread(target=_run, args=(token, dict(state), request.user.pk), daemon=True).start()
    return redirect("imports:progress", token)


@login_required
def progress(request: HttpRequest, token: str) -> HttpResponse:
    if token not in request.session.get("imports", {}):
        raise Http404("No such import")
    path = _progress_file(token)
    data = json.loads(path.read_text()) if path.exists() else {"status": "starting"}
    total = data.get("total") or 0
    data["percent"] = round(100 * data.get("done", 0) / total) if total else 0
    batch = None
    if data.get("batch"):
        batch = batches_visible_to(request.user).filter(pk=data["batch"]).first()
    context = {"token": token, "data": data, "batch": batch}
    template = (
        "imports/_progress.html" if request.headers.get("HX-Request") else "imports/progress.html"
    )
    return render(request, template, context)


# ---------------------------------------------------------------- undo


@login_required
def undo(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, batch_id)
    if request.method == "POST":
        try:
            result = undo_import(batch, request.user)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(
                request,
                f"Import undone: {result.deleted} customers removed, {result.restored} put back.",
            )
        return redirect("imports:upload")
    return confirm_page(
        request,
        title="Undo the import",
        question=f"Undo the import of {batch.file_name or 'a file'}?",
        detail=(
            f"The {batch.created_count} customers it created are deleted with everything "
            f"added to them since, and the {batch.updated_count} it updated are put back "
            "where nobody has changed them since."
        ),
        action=reverse("imports:undo", args=[batch.pk]),
        cancel_url=reverse("imports:upload"),
        confirm_label="Undo the import",
    )
