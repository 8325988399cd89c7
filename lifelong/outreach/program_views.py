"""Program pages: the list with next run and counts, the editor (owners and managers),
a program's page with Run now and pause, and the drafts to review (approve, edit, skip)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lifelong.accounts.access import manages_business, require_manager
from lifelong.accounts.models import Role, User
from lifelong.accounts.views import confirm_page
from lifelong.outreach import programs
from lifelong.outreach.access import messages_visible_to
from lifelong.outreach.models import Message, MessageStatus, Program, ProgramKind

PAGE = 25


def may_edit_programs(user: User) -> bool:
    return manages_business(user)


def _check_may_edit(user: User) -> None:
    require_manager(user, "change programs")


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name", "kind", "purpose", "template", "segment", "starts_at", "recurrence",
            "rrule", "occasion_kind", "days_before", "approval", "sender", "survey", "active",
        ]  # fmt: skip
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "rrule": forms.TextInput(attrs={"placeholder": "FREQ=MONTHLY;BYMONTHDAY=1"}),
        }
        labels = {"starts_at": "First run", "rrule": "RRULE"}
        help_texts = {
            "segment": "Whom it goes to. A greeting may leave it empty: all with the occasion.",
            "days_before": "Greetings: how many days before the occasion the message goes out.",
            "approval": "Drafts wait for somebody to approve each message before it is sent.",
            "purpose": "Marketing goes only to customers who gave consent; greetings need none.",
            "survey": "Each message gets the customer's own link to it: use {{ survey_url }}.",
        }

    occasion_kind = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(k.value, k.label) for k in programs.GREETING_KINDS],
        label="Occasion",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["sender"].empty_label = "Each customer's owner"
        self.fields["sender"].required = False
        self.fields["segment"].required = False
        self.fields["recurrence"].required = False
        self.fields["survey"].empty_label = "No survey"
        if not self.instance.pk:
            self.initial.setdefault("starts_at", timezone.localtime().replace(second=0))


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    rows = programs.counts(Program.objects.select_related("template", "segment"))
    context = {"programs": rows, "can_edit": may_edit_programs(request.user)}
    return render(request, "outreach/program_list.html", context)


@login_required
def program_new(request: HttpRequest) -> HttpResponse:
    _check_may_edit(request.user)
    kind = request.GET.get("kind", ProgramKind.RECURRING)
    program = Program(kind=kind if kind in ProgramKind.values else ProgramKind.RECURRING)
    if program.kind == ProgramKind.GREETING:
        program.approval = "drafts"
        program.purpose = "relationship"
    return _editor(request, program)


@login_required
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    return _editor(request, get_object_or_404(Program, pk=program_id))


def _editor(request: HttpRequest, program: Program) -> HttpResponse:
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            programs.save_program(form.instance, by=request.user)
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Program {program.name} saved.")
            return redirect("outreach:program", program.pk)
    return render(request, "outreach/program_form.html", {"form": form, "program": program})


@login_required
def program_detail(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(
        programs.counts(Program.objects.select_related("template", "segment", "sender")),
        pk=program_id,
    )
    recent = (
        messages_visible_to(request.user)
        .filter(program=program)
        .select_related("customer")
        .order_by("-created_at", "-id")[:20]
    )
    context = {
        "program": program,
        "recent": recent,
        "can_edit": may_edit_programs(request.user),
        "recipients": programs.recipients(program).count()
        if program.kind != ProgramKind.GREETING
        else None,
    }
    return render(request, "outreach/program_detail.html", context)


@login_required
@require_POST
def program_run(request: HttpRequest, program_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    program = get_object_or_404(
        Program.objects.select_related("template", "segment"), pk=program_id
    )
    created = programs.run_now(program)
    what = "drafts to review" if program.approval == "drafts" else "messages queued"
    messages.success(request, f"{created} new {what}.")
    return redirect("outreach:program", program.pk)


@login_required
@require_POST
def program_toggle(request: HttpRequest, program_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    program = get_object_or_404(Program, pk=program_id)
    program.active = not program.active
    programs.save_program(program)
    messages.success(request, f"{program.name} {'resumed' if program.active else 'paused'}.")
    return redirect("outreach:program", program.pk)


# ---------------------------------------------------------------- drafts


def _draft_for(user: User, message_id: int) -> Message:
    message = (
        messages_visible_to(user)
        .select_related("customer", "program")
        .filter(pk=message_id, status=MessageStatus.DRAFT)
        .first()
    )
    if message is None:
        raise Http404("No such draft")
    return message


def _drafts(user: User) -> QuerySet[Message]:
    """Drafts of the user's visible customers; a rep reviews what goes to their own."""
    drafts = messages_visible_to(user).filter(status=MessageStatus.DRAFT)
    if user.role == Role.REP:
        drafts = drafts.filter(customer__owner=user)
    return drafts.select_related("customer", "program").order_by("send_after", "id")


@login_required
def draft_list(request: HttpRequest) -> HttpResponse:
    drafts = _drafts(request.user)
    page = Paginator(drafts, PAGE).get_page(request.GET.get("page"))
    return render(request, "outreach/drafts.html", {"page": page, "total": page.paginator.count})


@login_required
def draft_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _draft_for(request.user, message_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            programs.edit_draft(
                message,
                subject=request.POST.get("subject", ""),
                body_text=request.POST.get("body_text", ""),
                body_html=request.POST.get("body_html", ""),
            )
        except ValidationError as e:
            errors = e.message_dict
        else:
            if request.POST.get("approve"):
                programs.approve(message, by=request.user)
                messages.success(request, f"Approved: {message.subject}")
            else:
                messages.success(request, "Draft saved.")
            return redirect("outreach:drafts")
    return render(request, "outreach/draft_form.html", {"message": message, "errors": errors})


@login_required
@require_POST
def draft_act(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _draft_for(request.user, message_id)
    if request.POST.get("action") == "approve":
        programs.approve(message, by=request.user)
        messages.success(request, f"Approved: it goes to {message.customer.display_name} next.")
    elif request.POST.get("action") == "skip":
        programs.skip(message, by=request.user)
        messages.success(request, f"Skipped: nothing goes to {message.customer.display_name}.")
    else:
        messages.error(request, "Choose approve or skip.")
    return redirect("outreach:drafts")


@login_required
def draft_approve_all(request: HttpRequest) -> HttpResponse:
    drafts = _drafts(request.user)
    total = drafts.count()
    if request.method == "POST":
        for message in drafts:
            programs.approve(message, by=request.user)
        messages.success(request, f"Approved {total} draft{'s' if total != 1 else ''}.")
        return redirect("outreach:drafts")
    return confirm_page(
        request,
        title="Approve all drafts",
        question=f"Approve all {total} drafts?",
        detail="Each one goes to the outbox and is sent on the next pass of the worker.",
        action=reverse("outreach:drafts_approve_all"),
        cancel_url=reverse("outreach:drafts"),
        confirm_label="Approve all",
        danger=False,
    )
