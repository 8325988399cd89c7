import datetime as dt

import pytest
from django.utils import timezone

from lifelong.customers import listing
from lifelong.customers.listing import BadCursor, Filters, list_customers
from lifelong.customers.models import Customer
from lifelong.customers.services import archive_customer, save_customer
from lifelong.touches.services import log_touch

NAMES = [
    ("Anna", "Berg"), ("Bo", "Bergman"), ("Cecilia", "Ek"), ("David", "Ek"), ("Eva", "Lund"),
    ("Filip", "Nord"), ("Greta", "Öberg"), ("Hans", "Berg"), ("Ida", "Sand"), ("Jon", "Ås"),
]  # fmt: skip


@pytest.fixture
def people(rep, outsider):
    made = []
    for i, (first, last) in enumerate(NAMES):
        owner = rep if i % 2 == 0 else outsider
        made.append(
            save_customer(
                Customer(owner=owner, first_name=first, last_name=last),
                emails=[f"{first.lower()}@example.com"],
                phones=[f"+4670123450{i}"],
                tags=["vip"] if i < 3 else [],
            )
        )
    return made


def walk(user, f: Filters, limit: int = 3) -> list[str]:
    """Every page, in order, following the cursors."""
    names, cursor = [], ""
    while True:
        page = list_customers(user, f, cursor=cursor, limit=limit)
        names += [c.full_name for c in page.items]
        if not page.next_cursor:
            return names
        cursor = page.next_cursor


def test_pages_cover_everyone_once_in_name_order(people, owner):
    expected = sorted((c for c in people), key=lambda c: (c.sort_name, c.pk))
    assert walk(owner, Filters(sort="name")) == [c.full_name for c in expected]
    assert walk(owner, Filters(sort="-name")) == [c.full_name for c in reversed(expected)]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_pages_by_creation(people, owner, sort):
    names = [c.full_name for c in people]
    assert walk(owner, Filters(sort=sort)) == (names[::-1] if sort == "newest" else names)


def test_touch_orders_put_never_touched_first_or_last(people, owner):
    base = timezone.now() - dt.timedelta(days=30)
    for days, c in enumerate(people[:4]):
        log_touch(
            c, user=owner, channel="call", summary="hi", occurred_at=base + dt.timedelta(days)
        )
    touched = [c.full_name for c in people[:4]]
    never = [c.full_name for c in people[4:]]
    assert walk(owner, Filters(sort="touched")) == never + touched
    assert walk(owner, Filters(sort="-touched")) == touched[::-1] + never


def test_a_rep_sees_only_their_own(people, rep):
    assert walk(rep, Filters()) == sorted(
        (c.full_name for c in people[::2]), key=lambda n: n.split()[1].lower()
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("berg", {"Anna Berg", "Bo Bergman", "Hans Berg"}),
        ("BERG anna", {"Anna Berg"}),
        ("oberg", {"Greta Öberg"}),
        ("as", {"Jon Ås"}),
        ("eva@example", {"Eva Lund"}),
        ("070-123 45 04", {"Eva Lund"}),
        ("+46701234504", {"Eva Lund"}),
        ("zzz", set()),
    ],
)
def test_search_by_name_email_and_phone_prefix(people, owner, q, expected):
    assert set(walk(owner, Filters(q=q), limit=50)) == expected


def test_a_common_prefix_takes_the_subquery_path_with_the_same_answer(people, owner, monkeypatch):
    small = set(walk(owner, Filters(q="e")))
    monkeypatch.setattr(listing, "_SMALL_MATCH", 1)
    assert set(walk(owner, Filters(q="e"))) == small and len(small) > 2


def test_filters_by_status_owner_tag_and_archive(people, owner, rep):
    people[0].status = "prospect"
    save_customer(people[0])
    archive_customer(people[2])
    assert walk(owner, Filters(status="prospect")) == ["Anna Berg"]
    assert set(walk(owner, Filters(tag="vip"))) == {"Anna Berg", "Bo Bergman"}
    assert walk(owner, Filters(archived=True)) == ["Cecilia Ek"]
    assert len(walk(owner, Filters(owner_id=rep.pk))) == 4


@pytest.mark.parametrize("cursor", ["garbage!", "WzEsMl0", "WyIiLCJhIiwieCJd"])
def test_a_bad_cursor_is_a_clear_error(people, owner, cursor):
    with pytest.raises(BadCursor, match="start again"):
        list_customers(owner, Filters(), cursor=cursor)
