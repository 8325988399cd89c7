"""customers_matching: each filter alone (who is in, who is out), combined, and validated."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifelong.customers.models import Customer
from lifelong.segments.filters import (
    FilterSpec,
    check_references,
    customers_matching,
    parse_filters,
)

from .helpers import birthday, buy, person, product

UTC = dt.UTC
NOW = dt.datetime(2025, 5, 14, 10, 0, tzinfo=UTC)


def names(spec: dict, **kwargs) -> set[str]:
    qs = customers_matching(parse_filters(spec), **kwargs)
    found = set(qs.values_list("first_name", flat=True))
    assert qs.count() == len(found)  # the count agrees with the list
    return found


@pytest.fixture
def crowd(owner, rep):
    """Four customers, different in every way a filter can tell."""
    return {
        "ada": person(owner, "Ada", status="customer", tags=["vip"], email_consent=True),
        "bo": person(rep, "Bo", status="prospect", tags=["golf"]),
        "cy": person(owner, "Cy", status="former"),
        "di": person(rep, "Di", status="customer", tags=["vip", "golf"]),
    }


def test_the_empty_spec_is_every_active_customer(crowd):
    assert names({}) == {"Ada", "Bo", "Cy", "Di"}


def test_it_filters_by_status(crowd):
    assert names({"status": ["customer"]}) == {"Ada", "Di"}
    assert names({"status": ["prospect", "former"]}) == {"Bo", "Cy"}


def test_it_filters_by_tier_with_none_for_no_tier(crowd):
    Customer.objects.filter(pk=crowd["ada"].pk).update(tier="A")
    Customer.objects.filter(pk=crowd["bo"].pk).update(tier="C")
    assert names({"tier": ["A"]}) == {"Ada"}
    assert names({"tier": ["A", "C"]}) == {"Ada", "Bo"}
    assert names({"tier": ["none"]}) == {"Cy", "Di"}
    assert names({"tier": ["B"]}) == set()


def test_it_filters_by_any_of_the_tags(crowd):
    assert names({"tags": ["vip"]}) == {"Ada", "Di"}
    assert names({"tags": ["vip", "golf"]}) == {"Ada", "Bo", "Di"}  # once each
    assert names({"tags": ["chess"]}) == set()


def test_it_filters_by_owner(crowd, owner, rep):
    assert names({"owner": [rep.pk]}) == {"Bo", "Di"}
    assert names({"owner": [owner.pk, rep.pk]}) == {"Ada", "Bo", "Cy", "Di"}


def test_it_filters_by_product_or_version_owned(crowd):
    _, (v1, v2) = product("Desk", "v1", "v2")
    _, (lamp,) = product("Lamp", "2024")
    buy(crowd["ada"], NOW, v1)
    buy(crowd["bo"], NOW, v2)
    buy(crowd["cy"], NOW, lamp)
    buy(crowd["di"], NOW)  # a purchase without lines owns nothing
    assert names({"products": [v1.product_id]}) == {"Ada", "Bo"}
    assert names({"versions": [v1.pk]}) == {"Ada"}
    assert names({"versions": [v2.pk], "products": [lamp.product_id]}) == {"Bo", "Cy"}


@time_machine.travel(NOW, tick=False)
def test_it_filters_by_the_last_purchase(crowd):
    buy(crowd["ada"], dt.datetime(2024, 3, 1, 12, tzinfo=UTC))
    buy(crowd["bo"], dt.datetime(2024, 3, 1, 12, tzinfo=UTC))
    buy(crowd["bo"], dt.datetime(2025, 2, 1, 12, tzinfo=UTC))
    buy(crowd["cy"], dt.datetime(2025, 1, 1, 0, 30, tzinfo=UTC))  # 1 Jan 01:30 in Stockholm
    # Di never bought: she has no last purchase, before or after anything.
    assert names({"last_purchase_after": "2025-01-01"}) == {"Bo", "Cy"}
    assert names({"last_purchase_before": "2025-01-01"}) == {"Ada"}
    assert names({"last_purchase_after": "2024-01-01", "last_purchase_before": "2025-01-01"}) == {
        "Ada"
    }


@time_machine.travel(NOW, tick=False)
def test_it_filters_by_the_last_touch(crowd):
    Customer.objects.filter(pk=crowd["ada"].pk).update(last_touched_at=NOW - dt.timedelta(days=3))
    Customer.objects.filter(pk=crowd["bo"].pk).update(last_touched_at=NOW - dt.timedelta(days=40))
    Customer.objects.filter(pk=crowd["cy"].pk).update(last_touched_at=NOW - dt.timedelta(days=31))
    assert names({"not_touched_for_days": 30}) == {"Bo", "Cy", "Di"}  # Di: never
    assert names({"not_touched_for_days": 35}) == {"Bo", "Di"}
    assert names({"never_touched": True}) == {"Di"}


@time_machine.travel(NOW, tick=False)
def test_it_filters_by_birthday_this_month(crowd):
    birthday(crowd["ada"], "1980-05-02")
    birthday(crowd["bo"], "--05-30")
    birthday(crowd["cy"], "1975-06-01")
    assert names({"birthday_this_month": True}) == {"Ada", "Bo"}


def test_birthday_this_month_is_the_business_time_zones_month(crowd):
    birthday(crowd["ada"], "1980-05-31")
    birthday(crowd["bo"], "--06-01")
    # 22:30 UTC on 31 May is already 00:30 on 1 June in Stockholm (UTC+2 in summer).
    with time_machine.travel(dt.datetime(2025, 5, 31, 22, 30, tzinfo=UTC), tick=False):
        assert names({"birthday_this_month": True}) == {"Bo"}
    with time_machine.travel(dt.datetime(2025, 5, 31, 21, 30, tzinfo=UTC), tick=False):
        assert names({"birthday_this_month": True}) == {"Ada"}


def test_it_filters_by_consent(crowd):
    assert names({"consent": "yes"}) == {"Ada"}
    assert names({"consent": "no"}) == {"Bo", "Cy", "Di"}


def test_archived_customers_only_when_asked(crowd):
    Customer.objects.filter(pk=crowd["cy"].pk).update(archived_at=timezone.now())
    assert names({}) == {"Ada", "Bo", "Di"}
    assert names({"include_archived": True}) == {"Ada", "Bo", "Cy", "Di"}


@time_machine.travel(NOW, tick=False)
def test_filters_combine_with_and(crowd, rep):
    _, (v1,) = product("Desk", "v1")
    buy(crowd["di"], NOW, v1)
    buy(crowd["bo"], NOW, v1)
    spec = {"tags": ["vip"], "owner": [rep.pk], "products": [v1.product_id], "status": ["customer"]}
    assert names(spec) == {"Di"}
    assert names({**spec, "consent": "yes"}) == set()


def test_a_rep_sees_only_their_own_customers(crowd, rep, owner, outsider):
    assert names({"tags": ["vip"]}, visible_to=rep) == {"Di"}
    assert names({"tags": ["vip"]}, visible_to=owner) == {"Ada", "Di"}
    assert names({}, visible_to=outsider) == set()


def test_the_count_is_one_statement(crowd, rep):
    _, (v1,) = product("Desk", "v1")
    spec = parse_filters(
        {
            "tags": ["vip"],
            "products": [v1.product_id],
            "last_purchase_before": "2025-01-01",
            "last_purchase_after": "2024-01-01",
            "birthday_this_month": True,
        }
    )
    customers_matching(spec, visible_to=rep).count()  # Business.get() may create its row
    with CaptureQueriesContext(connection) as queries:
        customers_matching(spec, visible_to=rep).count()
    counts = [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert len(queries.captured_queries) <= 2  # the count, and at most the business row


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"status": ["gone"]}, "status", "prospect"),
        ({"tier": ["D"]}, "tier", "'A'"),
        ({"owner": ["me"]}, "owner", "integer"),
        ({"last_purchase_after": "yesterday"}, "last_purchase_after", "date"),
        ({"not_touched_for_days": 0}, "not_touched_for_days", "greater than or equal to 1"),
        ({"consent": "maybe"}, "consent", "'yes'"),
        ({"colour": "red"}, "colour", "no filter called 'colour'"),
        (
            {"last_purchase_after": "2025-02-01", "last_purchase_before": "2025-01-01"},
            "last_purchase_before",
            "later than",
        ),
    ],
)
def test_a_validation_error_names_the_field(data, field, words):
    with pytest.raises(ValidationError) as e:
        parse_filters(data)
    assert field in e.value.message_dict
    assert words in " ".join(e.value.message_dict[field])


def test_references_must_exist_when_saved(db):
    with pytest.raises(ValidationError) as e:
        check_references(FilterSpec(tags=["nope"], products=[999], versions=[998], owner=[997]))
    errors = e.value.message_dict
    assert errors["tags"] == ["There is no tag named nope."]
    assert errors["products"] == ["There is no product with id 999."]
    assert errors["versions"] == ["There is no product version with id 998."]
    assert errors["owner"] == ["There is no user with id 997."]


def test_the_stored_form_keeps_only_what_is_set():
    spec = parse_filters({"tier": ["A"], "last_purchase_after": "2025-01-02", "consent": None})
    assert spec.as_json() == {"tier": ["A"], "last_purchase_after": "2025-01-02"}
    assert parse_filters(spec.as_json()) == spec
