"""Template pages and API: starters on first visit, editing rights, previews for visible
customers only (outsiders get 404), restore and delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import bearer
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.outreach.models import Program, Template
from lifelong.outreach.rendering import ensure_starter_templates, save_template


@pytest.fixture
def greeting(db) -> Template:
    return save_template(
        Template(
            name="Hello",
            subject='Hi {{ first_name|default:"friend" }}',
            body_text="Dear {{ first_name }} of {{ company }}",
            body_html="<p>Dear {{ first_name }}</p>",
        )
    )


def test_the_first_visit_installs_the_starters(rep_client):
    page = rep_client.get(reverse("outreach:templates")).content.decode()
    assert Template.objects.count() == 10
    assert "Birthday greeting" in page and "+ New template" not in page


def test_an_owner_creates_a_template(owner_client):
    response = owner_client.post(
        reverse("outreach:template_new"),
        {"name": "Note", "purpose": "relationship", "subject": "Hi", "body_text": "Hello"},
    )
    template = Template.objects.get(name="Note")
    assert response["Location"] == reverse("outreach:template", args=[template.pk])


def test_a_syntax_error_is_shown_on_the_field(owner_client):
    response = owner_client.post(
        reverse("outreach:template_new"),
        {"name": "Bad", "purpose": "marketing", "subject": "Hi", "body_text": "{% if x %}"},
    )
    assert response.status_code == 200
    assert "Line 1: Unclosed tag" in response.content.decode()
    assert not Template.objects.filter(name="Bad").exists()


def test_reps_read_but_do_not_edit(greeting, rep_client):
    assert rep_client.get(reverse("outreach:template", args=[greeting.pk])).status_code == 200
    assert rep_client.get(reverse("outreach:template_edit", args=[greeting.pk])).status_code == 403
    assert (
        rep_client.post(reverse("outreach:template_delete", args=[greeting.pk])).status_code == 403
    )


def test_the_preview_renders_for_a_visible_customer(greeting, customer, rep_client):
    url = reverse("outreach:template", args=[greeting.pk])
    page = rep_client.get(url, {"customer": customer.pk}).content.decode()
    assert "Hi Anna" in page
    assert "Dear Anna of Berg Bygg AB" in page
    assert 'sandbox="" ' in page and 'srcdoc="&lt;p&gt;Dear Anna&lt;/p&gt;"' in page


def test_the_preview_escapes_a_customers_html(greeting, rep, rep_client):
    evil = save_customer(Customer(owner=rep, first_name="<script>"))
    page = rep_client.get(
        reverse("outreach:template", args=[greeting.pk]), {"customer": evil.pk}
    ).content.decode()
    assert "<script>" not in page
    # escaped once by the template, once more for the srcdoc attribute
    assert "&lt;p&gt;Dear &amp;lt;script&amp;gt;&lt;/p&gt;" in page


def test_the_picker_searches_the_viewers_customers(greeting, customer, rep_client, outsider_client):
    url = reverse("outreach:template", args=[greeting.pk])
    assert "Anna Berg" in rep_client.get(url, {"q": "anna"}).content.decode()
    assert "Anna Berg" not in outsider_client.get(url, {"q": "anna"}).content.decode()


def test_an_outsider_previewing_someone_elses_customer_gets_404(
    greeting, customer, outsider_client
):
    url = reverse("outreach:template", args=[greeting.pk])
    assert outsider_client.get(url, {"customer": customer.pk}).status_code == 404


def test_a_starter_is_restored(owner_client):
    ensure_starter_templates()
    thanks = Template.objects.get(key="thank-you")
    original = thanks.subject
    thanks.subject = "Changed"
    save_template(thanks)
    url = reverse("outreach:template_restore", args=[thanks.pk])
    assert "Restore Thank you?" in owner_client.get(url).content.decode()
    owner_client.post(url)
    thanks.refresh_from_db()
    assert thanks.subject == original


def test_a_template_in_use_is_not_deleted(greeting, owner_client):
    Program.objects.create(name="Quarterly", kind="one_off", template=greeting)
    response = owner_client.post(
        reverse("outreach:template_delete", args=[greeting.pk]), follow=True
    )
    assert Template.objects.filter(pk=greeting.pk).exists()
    assert "Used by Quarterly" in response.content.decode()


def test_delete_asks_first(greeting, owner_client):
    url = reverse("outreach:template_delete", args=[greeting.pk])
    assert "Delete the template Hello?" in owner_client.get(url).content.decode()
    owner_client.post(url)
    assert not Template.objects.filter(pk=greeting.pk).exists()


# ---------------------------------------------------------------- API

API = "/api/v1/templates"


def test_the_api_lists_creates_changes_and_deletes(client, owner):
    headers = bearer(owner)
    made = client.post(
        API,
        {"name": "N", "subject": "Hi {{ first_name }}", "body_text": "Hello"},
        content_type="application/json",
        headers=headers,
    )
    assert made.status_code == 201, made.content
    tid = made.json()["id"]
    assert [t["name"] for t in client.get(API, headers=headers).json()] == ["N"]
    changed = client.patch(
        f"{API}/{tid}", {"subject": "Yo"}, content_type="application/json", headers=headers
    )
    assert changed.json()["subject"] == "Yo"
    assert client.delete(f"{API}/{tid}", headers=headers).status_code == 204


def test_the_api_refuses_syntax_errors_with_the_line(client, owner):
    answer = client.post(
        API,
        {"name": "N", "subject": "Hi", "body_text": "ok\n{% for %}"},
        content_type="application/json",
        headers=bearer(owner),
    )
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["field"] == "body_text" and error["message"].startswith("Line 2: ")


def test_the_api_keeps_reps_read_only(client, rep, greeting):
    assert client.get(f"{API}/{greeting.pk}", headers=bearer(rep)).status_code == 200
    assert (
        client.patch(
            f"{API}/{greeting.pk}",
            {"name": "x"},
            content_type="application/json",
            headers=bearer(rep),
        ).status_code
        == 403
    )


def test_the_api_preview_is_for_visible_customers_only(client, greeting, customer, rep, outsider):
    url = f"{API}/{greeting.pk}/preview?customer_id={customer.pk}"
    answer = client.post(url, headers=bearer(rep))
    assert answer.json() == {
        "subject": "Hi Anna",
        "body_text": "Dear Anna of Berg Bygg AB\n",
        "body_html": "<p>Dear Anna</p>",
    }
    assert client.post(url, headers=bearer(outsider)).status_code == 404
    assert (
        client.post(f"{API}/999/preview?customer_id={customer.pk}", headers=bearer(rep)).status_code
        == 404
    )
