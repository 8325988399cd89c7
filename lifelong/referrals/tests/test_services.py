import itertools
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lifelong.customers.access import customers_visible_to
from lifelong.customers.models import Customer
from lifelong.referrals import services
from lifelong.referrals.models import Referral, ReferralStatus
from lifelong.referrals.tests.conftest import make_customer, snapshot


def test_recording_a_referral_sets_referred_by(rep, customer, nils):
    referral = services.record_referral(customer, nils, by=rep, note=" met at a fair ")
    nils.refresh_from_db()
    assert nils.referred_by == customer
    assert referral.note == "met at a fair"
    assert referral.status == ReferralStatus.INTRODUCED


def test_it_refuses_a_self_referral(rep, customer):
    with pytest.raises(ValidationError) as e:
        services.record_referral(customer, customer, by=rep)
    assert "themselves" in str(e.value)


def test_it_refuses_a_cycle(rep, customer, nils):
    services.record_referral(customer, nils, by=rep)
    third = make_customer(rep, "Tova")
    services.record_referral(nils, third, by=rep)
    with pytest.raises(ValidationError) as e:
        services.record_referral(third, customer, by=rep)
    assert "cycle" in str(e.value)
    assert not Referral.objects.filter(referred=customer).exists()


def test_a_person_is_referred_once(rep, customer, nils):
    other = make_customer(rep, "Tova")
    services.record_referral(customer, nils, by=rep)
    with pytest.raises(ValidationError):
        services.record_referral(other, nils, by=rep)


def test_became_customer_makes_a_prospect_a_customer(rep, customer, nils):
    referral = services.record_referral(customer, nils, by=rep)
    services.set_status(referral, ReferralStatus.BECAME_CUSTOMER, by=rep)
    nils.refresh_from_db()
    assert nils.status == "customer"
    assert nils.became_customer_on is not None
    assert referral.converted_on is not None


def test_a_new_prospect_belongs_to_the_referrers_owner(manager, customer):
    referral = services.refer_new_prospect(
        customer, by=manager, first_name="Ida", last_name="Ek", email="ida@ek.example"
    )
    prospect = referral.referred
    assert prospect.owner == customer.owner
    assert prospect.status == "prospect"
    assert prospect.emails.get().address == "ida@ek.example"


def test_stats_without_value_snapshots(rep, customer, nils):
    services.record_referral(customer, nils, by=rep)
    stats = services.stats_for(customer)
    assert (stats.made, stats.converted, stats.revenue, stats.projected) == (1, 0, 0, 0.0)


def test_stats_with_value_snapshots(rep, customer, nils):
    tova = make_customer(rep, "Tova")
    pia = make_customer(rep, "Pia")
    services.record_referral(customer, nils, by=rep)
    services.record_referral(customer, tova, by=rep, status=ReferralStatus.BECAME_CUSTOMER)
    services.record_referral(customer, pia, by=rep)
    snapshot(tova, "1200.50", 800.0)
    snapshot(pia, "100.00", None)  # too little data for a model: no projection
    stats = services.stats_for(customer)
    assert stats.made == 3
    assert stats.converted == 1
    assert stats.revenue == Decimal("1300.50")
    assert stats.projected == pytest.approx(800.0)
    top = list(services.top_referrers(customers_visible_to(rep)))
    assert top[0]["referrer_id"] == customer.pk and top[0]["made"] == 3


def _chain(owner, length: int) -> list[Customer]:
    people = [make_customer(owner, f"P{i}") for i in range(length)]
    for a, b in itertools.pairwise(people):
        services.record_referral(a, b, by=None)
    return people


def test_the_tree_goes_to_any_depth_within_the_cap(rep):
    people = _chain(rep, 6)
    tree = services.referral_tree(people[0], customers_visible_to(rep))
    assert [n.name for n in tree.walk()] == ["P1", "P2", "P3", "P4", "P5"]
    assert [n.depth for n in tree.walk()] == [1, 2, 3, 4, 5]
    capped = services.referral_tree(people[0], customers_visible_to(rep), max_depth=3)
    assert capped.truncated and capped.size == 3


def test_a_cycle_in_bad_data_ends_without_hanging(rep):
    a, b, c = _chain(rep, 3)
    # Bad data the services would refuse: c referred a, closing a loop a → b → c → a.
    Referral.objects.filter(referred=a).delete()
    Referral.objects.create(referrer=c, referred=a)
    Customer.objects.filter(pk=a.pk).update(referred_by=c)
    started = time.monotonic()
    tree = services.referral_tree(a, customers_visible_to(rep))
    assert time.monotonic() - started < 2
    nodes = tree.walk()
    assert [n.name for n in nodes] == ["P1", "P2", "P0"]
    assert nodes[-1].cycle and not nodes[-1].children
    assert services.referrer_chain(a.pk) == [c.pk, b.pk]


def test_the_tree_hides_customers_the_user_cannot_see(rep, customer, theirs):
    services.record_referral(customer, theirs, by=None)
    snapshot(theirs, "500", 300.0)
    (node,) = services.referral_tree(customer, customers_visible_to(rep)).walk()
    assert not node.visible and node.name == "" and node.revenue is None


def test_sync_from_customers_creates_and_moves_referrals(rep, customer, nils):
    tova = make_customer(rep, "Tova")
    Customer.objects.filter(pk=nils.pk).update(referred_by=customer)  # no signal
    assert services.sync_from_customers() == 1
    referral = Referral.objects.get(referred=nils)
    assert referral.referrer == customer and referral.status == ReferralStatus.INTRODUCED
    Customer.objects.filter(pk=nils.pk).update(referred_by=tova)
    assert services.sync_from_customers() == 1
    assert Referral.objects.get(referred=nils).referrer == tova
    assert services.sync_from_customers() == 0


def test_the_customer_form_path_keeps_referral_and_mirror_in_step(rep, customer, nils):
    from lifelong.customers.services import save_customer

    nils.referred_by = customer
    save_customer(nils)
    assert Referral.objects.get(referred=nils).referrer == customer
    # A blank referred_by does not drop the record: the mirror is put back.
    nils.referred_by = None
    save_customer(nils)
    nils.refresh_from_db()
    assert nils.referred_by == customer
    # A cycle through the form is refused on referred_by.
    customer.referred_by = nils
    with pytest.raises(ValidationError) as e:
        save_customer(customer)
    assert "referred_by" in e.value.message_dict


def test_answer_from_note():
    assert services.answer_from_note("Yes, her brother") == "yes"
    assert services.answer_from_note("no.") == "no"
    assert services.answer_from_note("later — after summer") == "later"
    assert services.answer_from_note("no answer, voicemail") == "no_answer"
    assert services.answer_from_note("Left a message") == "no_answer"
    assert services.answer_from_note("") == "no_answer"


def test_demo_referrals_mirror_the_links_drop_loops_and_add_chains(rep, owner):
    import datetime as dt
    import random

    from lifelong.referrals.demo import add_demo_referrals

    people = [make_customer(rep, f"D{i:02}") for i in range(30)]
    Customer.objects.filter(pk=people[1].pk).update(referred_by=people[0])
    # A loop the demo's random links can make: 2 ← 3 ← 2.
    Customer.objects.filter(pk=people[2].pk).update(referred_by=people[3])
    Customer.objects.filter(pk=people[3].pk).update(referred_by=people[2])
    added = add_demo_referrals(people, random.Random(7), dt.date(2025, 6, 1))
    assert added == Referral.objects.count() >= 3
    assert Referral.objects.get(referred=people[1]).referrer == people[0]
    for referral in Referral.objects.all():
        assert referral.referred_id not in services.referrer_chain(referral.referrer_id)
        assert referral.referred.referred_by_id == referral.referrer_id
    assert Customer.objects.filter(referred_by__isnull=False).count() == Referral.objects.count()
