"""Erasing from the web (the confirmation page, who may), and an erased customer is
never shown, listed, found, selected or sent anything again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import bearer, client_for
from lifelong.agenda.services import agenda, customers_for
from lifelong.audit.models import AuditEvent
from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.customers.services import save_customer
from lifelong.events.services import suggested_customers
from lifelong.imports.mapping import guess_mapping
from lifelong.imports.reading import read_table
from lifelong.imports.services import import_customers
from lifelong.outreach import sending
from lifelong.outreach.models import Message, MessageStatus, Purpose
from lifelong.outreach.outbox import enqueue
from lifelong.outreach.programs import recipients
from lifelong.outreach.tests.conftest import make_program, outgoing
from lifelong.privacy.erasure import erase_customer
from lifelong.segments.filters import FilterSpec, customers_matching
from lifelong.segments.models import Segment

pytestmark = pytest.mark.django_db


def erase_url(customer: Customer) -> str:
    return reverse("privacy:erase", args=[customer.pk])


# ---------------------------------------------------------------- the confirmation page


def test_the_confirmation_page_says_what_goes_and_asks_for_the_name(owner_client, customer):
    response = owner_client.get(erase_url(customer))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Erase Anna Berg?" in page
    assert "Type the customer's name" in page and 'name="csrfmiddlewaretoken"' in page
    assert "Kept, without a name: purchases" in page
    assert Customer.objects.get(pk=customer.pk).erased_at is None  # GET changes nothing


def test_a_wrong_name_erases_nothing(owner_client, customer):
    response = owner_client.post(erase_url(customer), {"name": "Anna Bergström"})
    assert response.status_code == 400
    assert "to confirm" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).first_name == "Anna"


def test_the_right_name_erases_and_lands_on_the_list(owner_client, customer):
    response = owner_client.post(erase_url(customer), {"name": "  anna   BERG "}, follow=True)
    assert response.redirect_chain == [(reverse("customers:list"), 302)]
    page = response.content.decode()
    assert "Anna Berg&#x27;s data was erased" in page
    assert reverse("customers:detail", args=[customer.pk]) not in page
    erased = Customer.objects.get(pk=customer.pk)
    assert erased.erased_at is not None and erased.first_name == ""
    event = AuditEvent.objects.get(action="erase")
    assert (event.customer_id, event.actor_name, event.via, event.ip) == (
        customer.pk, "olivia", "web", "127.0.0.1",
    )  # fmt: skip


def test_a_manager_may_erase(manager, customer):
    client = client_for(manager)
    assert client.post(erase_url(customer), {"name": "Anna Berg"}).status_code == 302
    assert Customer.objects.get(pk=customer.pk).erased_at is not None


def test_the_owning_rep_gets_403_and_an_outsider_404(rep_client, outsider_client, customer):
    assert rep_client.get(erase_url(customer)).status_code == 403
    assert rep_client.post(erase_url(customer), {"name": "Anna Berg"}).status_code == 403
    assert outsider_client.get(erase_url(customer)).status_code == 404
    assert outsider_client.post(erase_url(customer), {"name": "Anna Berg"}).status_code == 404
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_the_erase_post_needs_the_csrf_token(owner, customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(erase_url(customer), {"name": "Anna Berg"}).status_code == 403
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_the_customer_page_offers_erase_to_owners(owner_client, customer):
    page = owner_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert erase_url(customer) in page


# ---------------------------------------------------------------- never shown again


@pytest.fixture
def erased(customer):
    erase_customer(customer, by=None)
    return Customer.objects.get(pk=customer.pk)


def test_an_erased_customer_is_on_no_page(owner_client, erased, owner):
    detail = reverse("customers:detail", args=[erased.pk])
    assert owner_client.get(detail).status_code == 404
    assert owner_client.get(reverse("privacy:export", args=[erased.pk])).status_code == 404
    listing = owner_client.get(reverse("customers:list")).content.decode()
    assert detail not in listing
    found = owner_client.get(reverse("customers:list"), {"q": "anna"}).content.decode()
    assert detail not in found
    assert not customers_visible_to(owner).filter(pk=erased.pk).exists()


def test_an_erased_customer_is_not_in_the_api(owner, erased):
    from django.test import Client

    headers = bearer(owner)
    client = Client()
    assert client.get(f"/api/v1/customers/{erased.pk}", headers=headers).status_code == 404
    ids = [c["id"] for c in client.get("/api/v1/customers", headers=headers).json()["items"]]
    assert erased.pk not in ids


def test_an_erased_customer_is_in_no_segment_agenda_or_suggestion(erased, owner):
    # As if the nightly jobs ran over everybody: a tier, and a contact due yesterday.
    yesterday = timezone.now() - dt.timedelta(days=1)
    Customer.objects.filter(pk=erased.pk).update(tier="A", next_due_at=yesterday)
    assert not customers_matching(FilterSpec()).filter(pk=erased.pk).exists()
    assert not customers_matching(FilterSpec(), visible_to=owner).filter(pk=erased.pk).exists()
    assert not customers_for(None).filter(pk=erased.pk).exists()
    assert erased.pk not in {i.customer_id for i in agenda(owner, everyone=True)}
    assert erased.pk not in {i.customer_id for i in agenda(None)}
    assert not suggested_customers().filter(pk=erased.pk).exists()


def test_before_erasure_they_were_there(customer, owner):
    """The checks above can fail: the same customer unerased is everywhere."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    Customer.objects.filter(pk=customer.pk).update(tier="A", next_due_at=yesterday)
    assert customers_matching(FilterSpec()).filter(pk=customer.pk).exists()
    assert customer.pk in {i.customer_id for i in agenda(owner, everyone=True)}
    assert suggested_customers().filter(pk=customer.pk).exists()


def test_an_erased_customer_is_never_sent_anything(smtp_server, business, rep, customer):
    program = make_program(Purpose.RELATIONSHIP)
    enqueue(program, [outgoing(customer, to_address="anna@berg.example")], "before")
    erase_customer(customer, by=None)
    # A message queued before: skipped at erasure, and the worker would skip it anyway.
    assert Message.objects.get(customer=customer).status == MessageStatus.SKIPPED
    Message.objects.filter(customer=customer).update(
        status=MessageStatus.QUEUED, to_address="anna@berg.example"
    )
    tally = sending.Worker().run(once=True)
    assert tally.sent == 0 and smtp_server.received == []
    message = Message.objects.get(customer=customer)
    assert (message.status, message.last_error) == ("skipped", "The customer's data was erased.")
    # And a program run never picks them.
    segment = Segment.objects.create(name="Everyone", filters={})
    program.segment = segment
    program.save()
    assert not recipients(program).filter(pk=customer.pk).exists()


def test_their_address_imported_again_cannot_be_mailed(smtp_server, business, owner, customer):
    """After erasure the address is on the suppression list as a hash: importing the same
    person again makes a new customer, and the send path refuses them."""
    erase_customer(customer, by=owner)
    table = read_table(
        b"First name,Last name,Email,Marketing consent\nAnna,Berg,ANNA@berg.example,yes\n"
    )
    import_customers(table, guess_mapping(table.columns, table.format), by=owner)
    again = Customer.objects.get(first_name="Anna")
    assert again.pk != customer.pk and again.email_consent
    program = make_program(Purpose.MARKETING)
    enqueue(program, [outgoing(again, to_address="anna@berg.example")], "after")
    tally = sending.Worker().run(once=True)
    assert tally.sent == 0 and smtp_server.received == []
    message = Message.objects.get(customer=again)
    assert (message.status, message.last_error) == (
        "skipped", "The address is on the suppression list.",
    )  # fmt: skip
    # save_customer by hand: the same.
    by_hand = save_customer(Customer(owner=owner, first_name="A"), emails=["anna@berg.example"])
    Message.objects.all().delete()
    enqueue(program, [outgoing(by_hand, to_address="anna@berg.example")], "by-hand")
    sending.Worker().run(once=True)
    assert Message.objects.get(customer=by_hand).status == "skipped"
