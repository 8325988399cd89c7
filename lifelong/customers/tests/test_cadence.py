"""Keep in touch: the interval by tier and override, and what resets next_due_at."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from lifelong.customers import cadence
from lifelong.customers.models import Customer
from lifelong.customers.services import archive_customer, restore_customer, save_customer
from lifelong.touches.models import Channel, Touch
from lifelong.touches.services import delete_touch, log_touch

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    """Frozen at NOW before any other fixture makes a customer; tests move it on."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def reload(c: Customer) -> Customer:
    return Customer.objects.get(pk=c.pk)


def test_a_new_customer_is_due_after_the_30_day_floor(rep):
    c = save_customer(Customer(owner=rep, first_name="Ny"))
    assert reload(c).next_due_at == NOW + dt.timedelta(days=30)


def test_prospects_and_archived_customers_have_no_cadence(rep, customer):
    prospect = save_customer(Customer(owner=rep, first_name="Maybe", status="prospect"))
    assert reload(prospect).next_due_at is None
    archive_customer(customer)
    assert reload(customer).next_due_at is None
    restore_customer(customer)
    assert reload(customer).next_due_at == NOW + dt.timedelta(days=30)


@pytest.mark.parametrize("channel", Channel.values)
def test_a_touch_on_any_channel_resets_the_cadence(customer, rep, channel, clock):
    clock.shift(dt.timedelta(days=40))
    assert reload(customer).next_due_at < timezone.now()  # overdue
    log_touch(customer, user=rep, channel=channel, summary="Hello", direction="inbound")
    assert reload(customer).next_due_at == timezone.now() + dt.timedelta(days=30)


def test_a_backdated_touch_counts_from_when_it_happened(customer, rep):
    when = NOW - dt.timedelta(days=3)
    log_touch(customer, user=rep, channel="call", summary="Called", occurred_at=when)
    assert reload(customer).next_due_at == when + dt.timedelta(days=30)


def test_deleting_the_last_touch_brings_the_due_date_back(customer, rep, clock):
    clock.shift(dt.timedelta(days=10))
    touch = log_touch(customer, user=rep, channel="call", summary="Called")
    assert reload(customer).next_due_at == NOW + dt.timedelta(days=40)
    delete_touch(Touch.objects.get(pk=touch.pk))
    assert reload(customer).next_due_at == NOW + dt.timedelta(days=30)


def test_the_tier_policy_tightens_the_interval_and_never_loosens_it(customer, settings):
    settings.LIFELONG_VALUE = {
        **settings.LIFELONG_VALUE,
        "policies": {"A": {"contact_every_days": 14}, "C": {"contact_every_days": 90}},
    }
    Customer.objects.filter(pk=customer.pk).update(tier="A")
    cadence.recompute_due()
    assert reload(customer).next_due_at == reload(customer).created_at + dt.timedelta(days=14)
    Customer.objects.filter(pk=customer.pk).update(tier="C")
    cadence.recompute_due()
    assert reload(customer).next_due_at == reload(customer).created_at + dt.timedelta(days=30)


def test_a_per_customer_override_wins_and_is_validated(customer):
    customer.contact_every_days = 7
    save_customer(customer)
    assert reload(customer).next_due_at == reload(customer).created_at + dt.timedelta(days=7)
    customer.contact_every_days = 45
    with pytest.raises(ValidationError) as e:
        save_customer(customer)
    assert "contact_every_days" in e.value.message_dict


def test_bulk_recompute_matches_one_by_one(rep, owner):
    made = [
        save_customer(Customer(owner=rep, first_name=f"C{i}", contact_every_days=d))
        for i, d in enumerate([None, 5, 12, None])
    ]
    Customer.objects.filter(pk=made[3].pk).update(tier="A", last_touched_at=NOW)
    cadence.snooze(reload(made[0]), NOW + dt.timedelta(days=45))
    Customer.objects.update(next_due_at=None)
    cadence.recompute_due()
    for c in made:
        c = reload(c)
        assert c.next_due_at == cadence.compute_due(c), c.first_name


def test_snooze_holds_the_contact_back_until_a_touch_clears_it(customer, rep):
    later = NOW + dt.timedelta(days=60)
    cadence.snooze(customer, later)
    assert reload(customer).next_due_at == later
    log_touch(customer, user=rep, channel="email", summary="Wrote")
    c = reload(customer)
    assert c.contact_snoozed_until is None
    assert c.next_due_at == NOW + dt.timedelta(days=30)


def test_skip_cycle_moves_the_due_date_a_full_interval_ahead(customer):
    Customer.objects.filter(pk=customer.pk).update(tier="A")
    cadence.skip_cycle(reload(customer))
    assert reload(customer).next_due_at == NOW + dt.timedelta(days=14)
