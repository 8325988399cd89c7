"""Template pages: the list, the editor (owners and managers; reps read), a preview against
a real customer the viewer may see, restoring a starter, and delete with confirmation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from lifelong.accounts.access import manages_business, require_manager
from lifelong.accounts.models import User
from lifelong.accounts.views import confirm_page
from lifelong.customers.access import get_customer_for_user
from lifelong.customers.listing import Filters, filtered
from lifelong.outreach import rendering
from lifelong.outreach.models import Template

PICK_LIMIT = 10


def may_edit_templates(user: User) -> bool:
    return manages_business(user)


def _check_may_edit(user: User) -> None:
    require_manager(user, "change templates")


class TemplateForm(forms.ModelForm):
    class Meta:
        model = Template
        fields = ["name", "purpose", "subject", "body_text", "body_html"]
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 14, "class": "mono"}),
            "body_html": forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        }
        help_texts = {
            "subject": 'Django template syntax: {{ first_name|default:"friend" }}.',
            "body_html": "Optional. Customer fields are escaped here.",
        }


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    if not Template.objects.exists():
        rendering.ensure_starter_templates()
    context = {
        "templates": Template.objects.all(),
        "can_edit": may_edit_templates(request.user),
    }
    return render(request, "outreach/template_list.html", context)


@login_required
def template_new(request: HttpRequest) -> HttpResponse:
    _check_may_edit(request.user)
    return _editor(request, Template())


@login_required
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    return _editor(request, get_object_or_404(Template, pk=template_id))


def _editor(request: HttpRequest, template: Template) -> HttpResponse:
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            rendering.save_template(form.instance)
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Template {template.name} saved.")
            return redirect("outreach:template", template.pk)
    context = {"form": form, "template": template}
    return render(request, "outreach/template_form.html", context)


@login_required
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    """The template, and its preview for ?customer=ID (a customer the viewer may see;
    404 otherwise). ?q= searches the viewer's customers to pick one."""
    template = get_object_or_404(Template, pk=template_id)
    q = request.GET.get("q", "").strip()
    customer = rendered = error = None
    if request.GET.get("customer"):
        customer = get_customer_for_user(request.user, request.GET["customer"])
        context = rendering.context_for(customer, sender=None, find_occasion=True)
        try:
            rendered = rendering.render(template, context)
        except ValidationError as e:
            error = "; ".join(e.messages)
    matches = list(filtered(request.user, Filters(q=q))[:PICK_LIMIT]) if q else []
    context = {
        "template": template,
        "can_edit": may_edit_templates(request.user),
        "is_starter": template.key in rendering.STARTERS,
        "q": q,
        "matches": matches,
        "customer": customer,
        "rendered": rendered,
        "error": error,
    }
    return render(request, "outreach/template_detail.html", context)


@login_required
def template_restore(request: HttpRequest, template_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    template = get_object_or_404(Template, pk=template_id, key__in=list(rendering.STARTERS))
    url = reverse("outreach:template", args=[template.pk])
    if request.method == "POST":
        rendering.restore_starter(template)
        messages.success(request, f"{template.name} has its original text again.")
        return redirect(url)
    return confirm_page(
        request,
        title=f"Restore {template.name}?",
        question="Its subject and both bodies go back to the starter's original text.",
        detail="Your edits to it are lost.",
        action=reverse("outreach:template_restore", args=[template.pk]),
        cancel_url=url,
        confirm_label="Restore",
    )


@login_required
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    _check_may_edit(request.user)
    template = get_object_or_404(Template, pk=template_id)
    url = reverse("outreach:template", args=[template.pk])
    if request.method == "POST":
        try:
            rendering.delete_template(template)
        except rendering.TemplateInUse as e:
            messages.error(request, f"{template.name} was not deleted. {e}")
            return redirect(url)
        messages.success(request, f"Template {template.name} deleted.")
        return redirect("outreach:templates")
    return confirm_page(
        request,
        title=f"Delete the template {template.name}?",
        question="Messages already sent keep their text.",
        detail="A starter template can be installed again with lifelong templates install.",
        action=reverse("outreach:template_delete", args=[template.pk]),
        cancel_url=url,
        confirm_label="Delete template",
    )
