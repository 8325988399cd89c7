"""Sections that other apps add to the customer page.

The customer page is where every feature shows what it knows about one person
(touches, purchases, value, promises…). Apps register a panel in their
AppConfig.ready(), so customers depends on none of them: dependencies point down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from lifelong.customers.models import Customer

ContextFn = Callable[[HttpRequest, Customer], dict]


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: ContextFn
    column: str = "main"  # "main" (beside the profile) or "side"
    order: int = 100


_registry: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    """Add (or replace, by name) a panel on the customer page."""
    _registry[panel.name] = panel


def render_panels(request: HttpRequest, customer: Customer, column: str) -> list[SafeString]:
    """The HTML of every panel in `column`, in order."""
    panels = sorted((p for p in _registry.values() if p.column == column), key=lambda p: p.order)
    # render_to_string returns SafeString: the template engine has escaped what it must.
    rendered = []
    for panel in panels:
        context = {"customer": customer, **panel.context(request, customer)}
        rendered.append(render_to_string(panel.template, context, request))
    return rendered
