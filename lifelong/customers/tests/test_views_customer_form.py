"""Creating, editing, archiving and restoring a customer through the forms."""

import pytest
from django.urls import reverse

from conftest import client_for
from lifelong.customers.models import Customer
from lifelong.customers.services import archive_customer, save_customer

NEW = reverse("customers:new")


def form_data(**overrides) -> dict:
    data = {
        "first_name": "Nils",
        "last_name": "Holm",
        "company": "",
        "status": "customer",
        "email_0": "nils@holm.example",
        "email_label_0": "work",
        "email_1": "",
        "email_label_1": "home",
        "phone_0": "070-765 43 21",
        "phone_label_0": "mobile",
        "phone_1": "",
        "phone_label_1": "mobile",
        "tags": "vip, Golf ",
    }
    data.update(overrides)
    return data


def test_create_customer(rep_client, rep):
    response = rep_client.post(NEW, form_data())
    customer = Customer.objects.get(first_name="Nils")
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == rep
    assert [(e.address, e.label) for e in customer.emails.all()] == [("nils@holm.example", "work")]
    assert [p.number for p in customer.phones.all()] == ["+46707654321"]
    assert sorted(t.name for t in customer.tags.all()) == ["golf", "vip"]


def test_rep_cannot_choose_owner(rep_client, rep, manager):
    body = rep_client.get(NEW).content.decode()
    assert 'name="owner"' not in body
    rep_client.post(NEW, form_data(owner=manager.pk))
    assert Customer.objects.get(first_name="Nils").owner == rep


def test_manager_assigns_owner(manager, rep):
    client = client_for(manager)
    assert 'name="owner"' in client.get(NEW).content.decode()
    client.post(NEW, form_data(owner=rep.pk))
    assert Customer.objects.get(first_name="Nils").owner == rep


def test_bad_email_shown_beside_field(rep_client):
    response = rep_client.post(NEW, form_data(email_0="not-an-email"))
    assert response.status_code == 200
    assert response.context["form"].errors["email_0"]
    assert "is not a valid email address" in response.content.decode()
    assert not Customer.objects.filter(first_name="Nils").exists()


def test_bad_phone_shown_beside_field(rep_client):
    response = rep_client.post(NEW, form_data(phone_0="12"))
    assert response.status_code == 200
    assert response.context["form"].errors["phone_0"]
    assert "is not a" in response.content.decode()
    assert not Customer.objects.exists()


def test_no_name_nor_company_is_an_error(rep_client):
    response = rep_client.post(NEW, form_data(first_name="", last_name="", company=""))
    assert response.status_code == 200
    assert "Give a first name, a last name or a company." in response.content.decode()
    assert not Customer.objects.exists()


def test_service_contact_errors_are_mapped_to_their_group(rep, customer):
    """An error save_customer raises for "emails" lands beside the email rows."""
    from django.core.exceptions import ValidationError

    from lifelong.customers.forms import CustomerForm

    form = CustomerForm(form_data(), instance=customer, user=rep)
    assert form.is_valid()
    form.add_service_errors(ValidationError({"emails": ["taken"], "__all__": ["whole"]}))
    assert form.group_errors == {"emails": ["taken"]}
    assert form.non_field_errors() == ["whole"]
    assert not form.is_valid()


def test_edit_customer_keeps_and_changes_contact_points(rep_client, customer):
    url = reverse("customers:edit", args=[customer.pk])
    body = rep_client.get(url).content.decode()
    assert 'value="anna@berg.example"' in body
    assert 'value="vip"' in body
    response = rep_client.post(
        url,
        form_data(
            first_name="Anna",
            last_name="Berg-Lind",
            company="Berg Bygg AB",
            email_0="anna@berg.example",
            email_1="anna.private@example.com",
            phone_0="",
            tags="",
        ),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.last_name == "Berg-Lind"
    assert [e.address for e in customer.emails.all()] == [
        "anna@berg.example",
        "anna.private@example.com",
    ]
    assert not customer.phones.exists()
    assert not customer.tags.exists()


def test_referred_by_limited_to_visible_customers(rep_client, customer, outsider):
    theirs = save_customer(Customer(owner=outsider, first_name="Hidden"))
    body = rep_client.get(NEW).content.decode()
    assert "Anna Berg" in body  # a menu of the rep's own customers
    assert "Hidden" not in body
    response = rep_client.post(NEW, form_data(referred_by=theirs.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["referred_by"]
    rep_client.post(NEW, form_data(referred_by=customer.pk))
    assert Customer.objects.get(first_name="Nils").referred_by == customer


def test_referred_by_typed_as_number_beyond_menu_limit(rep_client, customer, outsider, monkeypatch):
    monkeypatch.setattr("lifelong.customers.forms.REFERRER_MENU_LIMIT", 0)
    theirs = save_customer(Customer(owner=outsider, first_name="Hidden"))
    response = rep_client.post(NEW, form_data(referred_by=str(theirs.pk)))
    assert "There is no customer" in response.content.decode()
    response = rep_client.post(NEW, form_data(referred_by=f"#{customer.pk}"))
    assert response.status_code == 302
    assert Customer.objects.get(first_name="Nils").referred_by == customer


def test_archive_get_shows_confirm_page_and_changes_nothing(rep_client, customer):
    url = reverse("customers:archive", args=[customer.pk])
    response = rep_client.get(url)
    assert response.status_code == 200
    assert "Archive Anna Berg?" in response.content.decode()
    assert f'action="{url}"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.archived_at is None


def test_archive_post_archives(rep_client, customer):
    response = rep_client.post(reverse("customers:archive", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.archived_at is not None
    assert "Restore" in rep_client.get(response.url).content.decode()


def test_restore_requires_post(rep_client, customer):
    archive_customer(customer)
    url = reverse("customers:restore", args=[customer.pk])
    assert rep_client.get(url).status_code == 405
    rep_client.post(url)
    customer.refresh_from_db()
    assert customer.archived_at is None


@pytest.mark.parametrize("field", ["email_0", "phone_0"])
def test_blank_extra_rows_are_offered(rep_client, field):
    assert f'name="{field}"' in rep_client.get(NEW).content.decode()


def test_rows_shown_again_after_an_error_match_those_posted(rep_client):
    response = rep_client.post(NEW, form_data(first_name="", last_name=""))
    form = response.context["form"]
    assert form.email_count == 2  # email_1 was blank: no extra row
    data = form_data(first_name="", last_name="", email_1="b@holm.example")
    response = rep_client.post(NEW, data)
    assert response.context["form"].email_count == 3  # both filled: one blank row more
