"""Rendering: the plain-value context, fallbacks, escaping, syntax checks, the starters."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from lifelong.accounts.models import Business
from lifelong.customers.models import Customer, Relative
from lifelong.customers.services import save_customer
from lifelong.outreach.models import Template
from lifelong.outreach.rendering import (
    STARTERS,
    context_for,
    ensure_starter_templates,
    render,
    restore_starter,
    save_template,
)


def tpl(subject: str = "Hi", text: str = "Hi", html: str = "") -> Template:
    return Template(name="T", subject=subject, body_text=text, body_html=html)


@pytest.fixture
def bare(rep) -> Customer:
    """A customer we know only the last name of."""
    return save_customer(Customer(owner=rep, last_name="Holm"), emails=["who@example.com"])


def test_the_context_is_plain_values(customer, rep):
    rep.signature = "Ruben Rep\nBerg's contact"
    rep.save()
    Relative.objects.create(
        customer=customer, name="Ella", relationship="child", birthday="--04-03"
    )
    ctx = context_for(customer, sender=None)
    assert ctx["first_name"] == "Anna" and ctx["full_name"] == "Anna Berg"
    assert ctx["company"] == "Berg Bygg AB"
    assert ctx["sender_name"] == "Ruben Rep" and ctx["signature"].startswith("Ruben Rep")
    assert ctx["business_name"] == Business.get().name
    assert ctx["relatives"] == [{"name": "Ella", "relationship": "Child", "birthday": "3 April"}]
    assert ctx["children"] == ctx["relatives"]
    plain = (str, int, float, bool, dt.date, list, dict, type(None))
    assert all(isinstance(v, plain) for v in ctx.values())


def test_the_sender_can_be_someone_else(customer, owner):
    assert context_for(customer, sender=owner)["sender_name"] == "Olivia Owner"


def test_an_occasion_dict_and_extra_values_reach_the_template(customer):
    ctx = context_for(
        customer,
        sender=None,
        occasion={
            "kind": "birthday",
            "title": "Birthday",
            "date": dt.date(2025, 6, 1),
            "years": 40,
        },
        extra={"product_name": "Desk"},
    )
    out = render(
        tpl("{{ occasion.years }} on {{ occasion.date|date:'j F' }}", "{{ product_name }}"), ctx
    )
    assert out.subject == "40 on 1 June"
    assert out.body_text == "Desk\n"


def test_extra_must_be_plain(customer):
    with pytest.raises(TypeError, match="plain values only"):
        context_for(customer, sender=None, extra={"who": customer})


def test_a_missing_field_falls_back(bare):
    out = render(
        tpl('Dear {{ first_name|default:"friend" }}', "Dear {{ first_name|default:'friend' }},"),
        context_for(bare, sender=None),
    )
    assert out.subject == "Dear friend"
    assert out.body_text == "Dear friend,\n"
    assert render(tpl("{{ no_such_field }}x"), {}).subject == "x"


def test_html_escapes_customer_fields_and_text_does_not(rep):
    evil = save_customer(
        Customer(owner=rep, first_name="<script>alert(1)</script>", company="A & B")
    )
    out = render(
        tpl(
            "Hi {{ first_name }}",
            "Hi {{ first_name }} of {{ company }}",
            "<p>Hi {{ first_name }} of {{ company }}</p>",
        ),
        context_for(evil, sender=None),
    )
    assert out.body_html == "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; of A &amp; B</p>"
    assert out.body_text == "Hi <script>alert(1)</script> of A & B\n"
    assert out.subject == "Hi <script>alert(1)</script>"


def test_the_subject_is_one_line():
    assert render(tpl("Hello\n  {{ x }}\n"), {"x": "there"}).subject == "Hello there"


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        ("{% load static %}", "load"),
        ("{% include 'base.html' %}", "include"),
        ("{% debug %}", "debug"),
        ("{% url 'home' %}", "url"),
        ("{{ x|safe }}", "safe"),
    ],
)
def test_templates_cannot_reach_outside(db, source, tag):
    with pytest.raises(ValidationError) as e:
        save_template(tpl(text=source))
    assert tag in e.value.message_dict["body_text"][0]


def test_a_syntax_error_is_refused_on_save_with_its_line(db):
    with pytest.raises(ValidationError) as e:
        save_template(tpl(text="Hello\n\n{% if first_name %}Hi", html="<p>{{ x|nosuch }}</p>"))
    errors = e.value.message_dict
    assert errors["body_text"][0].startswith("Line 3: ")
    assert "nosuch" in errors["body_html"][0]
    assert not Template.objects.exists()


def test_saving_checks_the_required_parts(db):
    with pytest.raises(ValidationError) as e:
        save_template(Template(name=" ", subject="", body_text=""))
    assert set(e.value.message_dict) == {"name", "subject", "body_text"}


def test_starters_install_once(db):
    assert ensure_starter_templates() == len(STARTERS) == 10
    assert ensure_starter_templates() == 0
    assert Template.objects.count() == 10


def test_the_templates_command_installs_them(db, capsys):
    call_command("templates", "install")
    assert "10 starter templates created" in capsys.readouterr().out
    call_command("templates", "list")
    assert "birthday" in capsys.readouterr().out


def test_a_starter_can_be_restored(db):
    ensure_starter_templates()
    birthday = Template.objects.get(key="birthday")
    original = birthday.body_text
    birthday.body_text = "Changed"
    save_template(birthday)
    restore_starter(birthday)
    birthday.refresh_from_db()
    assert birthday.body_text == original


@time_machine.travel(dt.datetime(2025, 5, 14, 10, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("key", sorted(STARTERS))
def test_every_starter_renders_with_and_without_data(key, customer, bare, rep):
    ensure_starter_templates()
    template = Template.objects.get(key=key)
    rep.signature = "Ruben Rep\nBerg Bygg's contact"
    rep.save()
    Relative.objects.create(
        customer=customer, name="Ella", relationship="child", birthday="2019-06-02"
    )
    full = context_for(
        customer,
        sender=None,
        occasion={
            "kind": "birthday",
            "title": "Birthday",
            "date": dt.date(2025, 6, 2),
            "years": 6,
            "relative_name": "Ella",
        },
        extra={
            "product_name": "Desk",
            "new_version": "Desk 2",
            "survey_url": "https://x.example/s",
            "event_title": "Open house",
            "event_date": dt.date(2025, 6, 12),
        },
    )
    out = render(template, full)
    assert out.subject and "{" not in out.subject
    assert "Anna" in out.body_text and "Ruben Rep" in out.body_text
    assert "Anna" in out.body_html and "{%" not in out.body_html
    empty = render(template, context_for(bare, sender=None))
    assert "friend" in empty.body_text
    assert "  " not in empty.subject and "None" not in empty.body_text
    assert empty.body_text.rstrip().endswith("Berg Bygg's contact")  # the signature
