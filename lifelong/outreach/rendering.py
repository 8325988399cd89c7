"""Templates turned into messages: the context a template sees, rendering, saving, starters.

A template is Django template syntax over a fixed context of plain values (strings,
numbers, dates, lists and dicts of them), never model instances, so a template cannot
reach the database. It runs in an Engine of its own with no loaders and a small set of
tags and filters: no {% load %}, {% include %}, {% url %} or {% debug %}. A missing field
renders as "", so {{ first_name|default:"friend" }} reads "friend". Syntax errors are
caught when a template is saved (save_template), never when a message is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import template as django_template
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.template import Context, Engine, TemplateSyntaxError, defaultfilters, defaulttags
from django.utils import timezone

from lifelong.accounts.models import Business, User
from lifelong.customers.models import Customer
from lifelong.outreach.models import Purpose, Template

# ---------------------------------------------------------------- the engine

register = django_template.Library()

# The tags and filters a template may use. Nothing here reads the database, loads
# other templates or libraries, or dumps the context.
TAGS = ("if", "for", "with", "firstof", "now", "comment", "cycle", "spaceless", "verbatim")
FILTERS = (
    "add", "capfirst", "center", "cut", "date", "default", "default_if_none", "divisibleby",
    "first", "floatformat", "join", "last", "length", "linebreaks", "linebreaksbr", "ljust",
    "lower", "pluralize", "rjust", "slice", "striptags", "time", "timesince", "timeuntil",
    "title", "truncatechars", "truncatewords", "upper", "urlize", "wordcount", "wordwrap",
    "yesno",
)  # fmt: skip
for _name in TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]


class _SandboxEngine(Engine):
    # Not Django's default builtins (all of defaulttags, defaultfilters, loader_tags):
    # only the library above.
    default_builtins: list[str] = []


def _engine(*, autoescape: bool) -> Engine:
    # debug=True only makes syntax errors carry their line number (template_debug).
    return _SandboxEngine(
        dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=autoescape,
        builtins=["lifelong.outreach.rendering"], debug=True, string_if_invalid="",
    )  # fmt: skip


HTML_ENGINE = _engine(autoescape=True)
TEXT_ENGINE = _engine(autoescape=False)

PARTS = (("subject", TEXT_ENGINE), ("body_text", TEXT_ENGINE), ("body_html", HTML_ENGINE))


# ---------------------------------------------------------------- the context


def _plain(value: Any, path: str) -> Any:
    """`value` if it is a plain value (or a list / dict of them); TypeError otherwise."""
    if value is None or isinstance(value, str | int | float | Decimal | bool | dt.date):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{path}.{k}") for k, v in value.items()}
    raise TypeError(f"{path} is a {type(value).__name__}; a template gets plain values only")


def _occasion(occasion: Any) -> dict[str, Any] | None:
    """An occasion as a dict: from a dict as given, or from occasions.services.Upcoming."""
    if occasion is None:
        return None
    if isinstance(occasion, dict):
        return _plain(occasion, "occasion")
    relative = getattr(getattr(occasion, "occasion", None), "relative", None)
    return {
        "kind": str(occasion.kind),
        "title": str(occasion.title),
        "date": occasion.on,
        "years": occasion.years,
        "relative_name": relative.name if relative is not None else "",
    }


def _next_occasion(customer: Customer) -> Any:
    """The customer's next occasion from today (occasions.services), or None when that
    app is not there or the customer has none."""
    try:
        from lifelong.occasions import services as occasions
    except ImportError:
        return None
    today = occasions.local_today()
    best = None
    for occasion in customer.occasions.select_related("relative"):
        on = occasions.next_occurrence(occasion, today)
        if on is not None and (best is None or on < best[0]):
            best = (on, occasion)
    return occasions.upcoming_of(best[1], best[0]) if best else None


def context_for(
    customer: Customer,
    *,
    sender: User | None,
    occasion: Any = None,
    extra: dict[str, Any] | None = None,
    find_occasion: bool = False,
) -> dict[str, Any]:
    """The plain values a template sees for `customer`, sent by `sender` (default: the
    customer's owner). `occasion` is a dict (kind, title, date, years, relative_name) or
    an occasions Upcoming; with find_occasion=True and none given, the customer's next
    one. `extra` adds plain values (TypeError for anything else) and wins on clashes.
    """
    sender = sender or customer.owner
    business = Business.get()
    rows = list(customer.relatives.all())
    relatives = [
        {
            "name": r.name,
            "relationship": r.get_relationship_display(),
            "birthday": str(r.birthday) if r.birthday else "",
        }
        for r in rows
    ]
    if occasion is None and find_occasion:
        occasion = _next_occasion(customer)
    context: dict[str, Any] = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "full_name": customer.full_name,
        "nickname": customer.nickname,
        "company": customer.company,
        "city": customer.city,
        "tier": customer.tier,
        "sender_name": sender.get_full_name() if sender else "",
        "sender_first_name": sender.first_name if sender else "",
        "sender_email": sender.email if sender else "",
        "signature": sender.signature if sender else "",
        "business_name": business.name,
        "relatives": relatives,
        "children": [d for r, d in zip(rows, relatives, strict=True) if r.relationship == "child"],
        "occasion": _occasion(occasion),
        "today": timezone.now().astimezone(business.tzinfo).date(),
    }
    context.update(_plain(extra or {}, "extra"))
    return context


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def _compile(source: str, engine: Engine, field: str) -> django_template.Template:
    try:
        return engine.from_string(source)
    except TemplateSyntaxError as e:
        info = getattr(e, "template_debug", None) or {}
        line = f"Line {info['line']}: " if info.get("line") else ""
        raise ValidationError({field: [f"{line}{e}"]}) from None


def render(template: Template, context: dict[str, Any]) -> Rendered:
    """The template's three parts rendered with `context`; the subject on one line.

    HTML is autoescaped; the subject and the plain text are not (they are not HTML).
    An empty HTML body stays empty.
    """
    out = {}
    for field, engine in PARTS:
        source = getattr(template, field)
        if not source:
            out[field] = ""
            continue
        text = _compile(source, engine, field).render(
            Context(context, autoescape=engine.autoescape)
        )
        # A plain str, not a SafeString: whoever puts it into a page must escape it.
        out[field] = str.__str__(text)
    subject = re.sub(r"\s+", " ", out["subject"]).strip()
    return Rendered(
        subject=subject, body_text=out["body_text"].strip() + "\n", body_html=out["body_html"]
    )


# ---------------------------------------------------------------- saving


def check_template(template: Template) -> None:
    """ValidationError by field for a missing part or one that does not compile."""
    errors: dict[str, list[str]] = {}
    if not template.name.strip():
        errors["name"] = ["Give the template a name."]
    if not template.subject.strip():
        errors["subject"] = ["A message needs a subject."]
    if not template.body_text.strip():
        errors["body_text"] = ["Write the plain-text body; every message has one."]
    if template.purpose not in Purpose.values:
        errors["purpose"] = [f"Choose one of: {', '.join(Purpose.values)}."]
    for field, engine in PARTS:
        try:
            _compile(getattr(template, field), engine, field)
        except ValidationError as e:
            errors.setdefault(field, []).extend(e.message_dict[field])
    if errors:
        raise ValidationError(errors)


def save_template(template: Template) -> Template:
    """Validate (syntax included) and save a new or edited template."""
    template.name = template.name.strip()
    template.subject = template.subject.strip()
    check_template(template)
    template.updated_at = timezone.now()
    template.save()
    return template


class TemplateInUse(Exception):
    """A program sends this template; it cannot be deleted."""


def delete_template(template: Template) -> None:
    names = list(template.programs.values_list("name", flat=True))
    if names:
        raise TemplateInUse(
            f"Used by {', '.join(names)}. Change those programs to another template first."
        )
    try:
        template.delete()
    except ProtectedError:
        raise TemplateInUse("A program started using it; change it first.") from None


# ---------------------------------------------------------------- starter templates

STARTERS_DIR = Path(__file__).parent / "starters"
# key -> (name, purpose). The text is in starters/<key>-subject.txt, -body.txt, -body.html.
STARTERS: dict[str, tuple[str, str]] = {
    "quarterly-update": ("Quarterly update", Purpose.MARKETING),
    "birthday": ("Birthday greeting", Purpose.RELATIONSHIP),
    "anniversary": ("Anniversary greeting", Purpose.RELATIONSHIP),
    "child-birthday": ("Child's birthday", Purpose.RELATIONSHIP),
    "thank-you": ("Thank you", Purpose.RELATIONSHIP),
    "product-news": ("Product news", Purpose.MARKETING),
    "survey-invitation": ("Survey invitation", Purpose.MARKETING),
    "referral-request": ("Referral request", Purpose.MARKETING),
    "upgrade-offer": ("Upgrade offer", Purpose.MARKETING),
    "event-invitation": ("Event invitation", Purpose.MARKETING),
}


def starter_text(key: str) -> dict[str, str]:
    """The starter's original subject, body_text and body_html, from its files."""
    if key not in STARTERS:
        raise KeyError(f"No starter template {key!r}")
    return {
        "subject": (STARTERS_DIR / f"{key}-subject.txt").read_text().strip(),
        "body_text": (STARTERS_DIR / f"{key}-body.txt").read_text(),
        "body_html": (STARTERS_DIR / f"{key}-body.html").read_text(),
    }


@transaction.atomic
def ensure_starter_templates() -> int:
    """Create each starter template that is missing (by key); how many were created.

    Running it again changes nothing; edited starters keep their edits.
    """
    have = set(Template.objects.filter(key__in=STARTERS).values_list("key", flat=True))
    created = 0
    for key, (name, purpose) in STARTERS.items():
        if key in have:
            continue
        save_template(Template(key=key, name=name, purpose=purpose, **starter_text(key)))
        created += 1
    return created


def restore_starter(template: Template) -> Template:
    """Put a starter template's original text back (its name and purpose too)."""
    if not template.key or template.key not in STARTERS:
        raise ValidationError("Only a starter template can be restored.")
    name, purpose = STARTERS[template.key]
    template.name, template.purpose = name, purpose
    for field, text in starter_text(template.key).items():
        setattr(template, field, text)
    return save_template(template)
