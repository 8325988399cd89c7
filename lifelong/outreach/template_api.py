"""Message templates in the REST API: read for everybody, write for owners and managers,
and a preview rendered for a customer the caller may see (404 otherwise)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from lifelong.customers.access import get_customer_for_user
from lifelong.customers.schemas import CLIENT_ERRORS, ErrorOut
from lifelong.outreach import rendering
from lifelong.outreach.models import Purpose, Template
from lifelong.outreach.template_views import _check_may_edit

router = Router(tags=["templates"])

FIELDS = ("name", "purpose", "subject", "body_text", "body_html")


class TemplateIn(Schema):
    name: str = Field(max_length=200)
    purpose: Purpose = Purpose.MARKETING
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str = ""


class TemplatePatch(Schema):
    name: str | None = Field(None, max_length=200)
    purpose: Purpose | None = None
    subject: str | None = Field(None, max_length=300)
    body_text: str | None = None
    body_html: str | None = None


class TemplateOut(Schema):
    id: int
    name: str
    key: str | None = Field(description="Set on starter templates.")
    purpose: Purpose
    subject: str
    body_text: str
    body_html: str
    created_at: dt.datetime
    updated_at: dt.datetime


class RenderedOut(Schema):
    subject: str
    body_text: str
    body_html: str


@router.get("/templates", response={200: list[TemplateOut], **CLIENT_ERRORS})
def template_list(request: HttpRequest) -> Any:
    return Template.objects.all()


@router.post("/templates", response={201: TemplateOut, **CLIENT_ERRORS})
def template_create(request: HttpRequest, payload: TemplateIn) -> Status:
    """Add a template; 422 names the part with a syntax error and its line."""
    _check_may_edit(request.user)
    template = rendering.save_template(Template(**payload.model_dump()))
    return Status(201, template)


@router.get("/templates/{int:template_id}", response={200: TemplateOut, **CLIENT_ERRORS})
def template_detail(request: HttpRequest, template_id: int) -> Template:
    return get_object_or_404(Template, pk=template_id)


@router.patch("/templates/{int:template_id}", response={200: TemplateOut, **CLIENT_ERRORS})
def template_update(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Template:
    _check_may_edit(request.user)
    template = get_object_or_404(Template, pk=template_id)
    for name, value in payload.model_dump(exclude_unset=True).items():
        if name in FIELDS and value is not None:
            setattr(template, name, value)
    return rendering.save_template(template)


@router.delete("/templates/{int:template_id}", response={204: None, 409: ErrorOut, **CLIENT_ERRORS})
def template_delete(request: HttpRequest, template_id: int) -> Any:
    """Delete a template; 409 while a program sends it."""
    _check_may_edit(request.user)
    template = get_object_or_404(Template, pk=template_id)
    try:
        rendering.delete_template(template)
    except rendering.TemplateInUse as e:
        return Status(409, {"detail": str(e)})
    return HttpResponse(status=204)


@router.post("/templates/{int:template_id}/preview", response={200: RenderedOut, **CLIENT_ERRORS})
def template_preview(request: HttpRequest, template_id: int, customer_id: int) -> Any:
    """The template rendered for `customer_id`, sent by the customer's owner."""
    template = get_object_or_404(Template, pk=template_id)
    customer = get_customer_for_user(request.user, customer_id)
    context = rendering.context_for(customer, sender=None, find_occasion=True)
    return rendering.render(template, context)
