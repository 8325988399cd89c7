"""The demo data generator: deterministic, consistent and searchable."""

import datetime as dt
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.db.models import Max

from lifelong import demo
from lifelong.accounts.models import Role, User
from lifelong.customers import listing
from lifelong.customers.listing import Filters, list_customers
from lifelong.customers.models import Customer, ProfileAnswer, Relative, SearchTerm
from lifelong.customers.services import parse_answer, search_terms
from lifelong.touches.models import Touch

TODAY = dt.date(2026, 3, 15)


def snapshot() -> list[tuple]:
    """Everything generated, without the database ids."""
    index = {
        pk: i for i, pk in enumerate(Customer.objects.order_by("id").values_list("pk", flat=True))
    }
    rows = []
    for c in Customer.objects.order_by("id").prefetch_related(
        "emails", "phones", "tags", "relatives", "answers__question", "touches"
    ):
        rows.append(
            (
                c.first_name, c.last_name, c.company, c.job_title, c.city, c.status,
                c.owner.username, c.became_customer_on, c.last_touched_at, c.email_consent,
                index.get(c.referred_by_id),
                [(e.address, e.label) for e in c.emails.all()],
                [(p.number, p.label) for p in c.phones.all()],
                sorted(t.name for t in c.tags.all()),
                [(r.name, r.relationship, r.birthday) for r in c.relatives.all()],
                sorted((a.question.key, a.value) for a in c.answers.all()),
                [(t.channel, t.occurred_at, t.summary) for t in c.touches.all()],
            )
        )  # fmt: skip
    return rows


def test_the_same_seed_gives_the_same_data(db):
    demo.generate(20, seed=7, today=TODAY, progress=False)
    first = snapshot()
    Customer.objects.all().delete()
    demo.generate(20, seed=7, today=TODAY, progress=False)
    assert snapshot() == first
    Customer.objects.all().delete()
    demo.generate(20, seed=8, today=TODAY, progress=False)
    assert snapshot() != first


@pytest.fixture
def generated(db) -> list[Customer]:
    result = demo.generate(40, seed=3, today=TODAY, progress=False)
    assert result.customers == 40
    return list(Customer.objects.prefetch_related("emails", "phones"))


def test_demo_users_have_roles_and_the_known_password(generated):
    roles = dict(User.objects.values_list("username", "role"))
    assert roles[demo.DEMO_USERNAME] == Role.OWNER
    assert Role.MANAGER in roles.values()
    assert list(roles.values()).count(Role.REP) >= 2
    assert User.objects.get(username=demo.DEMO_USERNAME).check_password(demo.DEMO_PASSWORD)
    assert len({c.owner_id for c in generated}) >= 3


def test_derived_columns_are_what_the_services_would_write(generated):
    latest = dict(
        Touch.objects.values("customer").annotate(m=Max("occurred_at")).values_list("customer", "m")
    )
    for c in generated:
        assert c.sort_name == c.compute_sort_name()
        assert c.last_touched_at == latest.get(c.pk)
        emails = [e.address for e in c.emails.all()]
        phones = [p.number for p in c.phones.all()]
        stored = set(SearchTerm.objects.filter(customer=c).values_list("term", flat=True))
        assert stored == search_terms(c, emails, phones)
    assert any(c.last_touched_at is not None for c in generated)
    cutoff = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.UTC)
    assert Touch.objects.filter(occurred_at__gte=cutoff).count() == 0


def test_contact_points_and_answers_are_valid(generated):
    for c in generated:
        for p in c.phones.all():
            number = phonenumbers.parse(p.number)
            assert phonenumbers.is_valid_number(number), p.number
            assert p.number == phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )
        for e in c.emails.all():
            domain = e.address.split("@")[1]  # reserved domains only: nothing reaches a mailbox
            assert domain.endswith(".example") or domain in demo.EMAIL_DOMAINS
    for answer in ProfileAnswer.objects.select_related("question"):
        assert parse_answer(answer.question, answer.value) == answer.value


def test_relatives_have_birthdays_across_the_year(generated):
    birthdays = [r.birthday for r in Relative.objects.exclude(birthday=None)]
    assert len({b.month for b in birthdays}) >= 6
    assert any(b.year is None for b in birthdays)
    assert Customer.objects.exclude(referred_by=None).exists()


def test_search_finds_a_demo_customer_by_last_name_prefix(generated):
    viewer = User.objects.get(username=demo.DEMO_USERNAME)
    c = next(c for c in generated if c.last_name and c.archived_at is None)
    page = list_customers(viewer, Filters(q=c.last_name[:3]), limit=100)
    assert c.pk in [item.pk for item in page.items]


def test_the_command_prints_the_login_and_if_empty_adds_nothing(db):
    out = StringIO()
    call_command("demo", "--customers", "5", "--seed", "2", "--no-progress", stdout=out)
    assert Customer.objects.count() == 5
    assert f"as demo / {demo.DEMO_PASSWORD}" in out.getvalue()
    out = StringIO()
    call_command("demo", "--customers", "5", "--if-empty", stdout=out)
    assert Customer.objects.count() == 5
    assert "no demo data added" in out.getvalue()
    assert f"as demo / {demo.DEMO_PASSWORD}" in out.getvalue()


def test_a_changed_demo_password_is_kept_and_not_printed(db):
    call_command("demo", "--customers", "2", "--no-progress", stdout=StringIO())
    user = User.objects.get(username=demo.DEMO_USERNAME)
    user.set_password("my own secret phrase")
    user.save()
    out = StringIO()
    call_command("demo", "--customers", "2", "--no-progress", stdout=out)
    assert demo.DEMO_PASSWORD not in out.getvalue().split("Log in", 1)[1]
    assert "password was changed" in out.getvalue()
    user.refresh_from_db()
    assert user.check_password("my own secret phrase")
    assert Customer.objects.count() == 4


def test_if_empty_on_real_data_says_nothing_about_a_demo_login(customer):
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "Log in" not in out.getvalue()
    assert not User.objects.filter(username=demo.DEMO_USERNAME).exists()


@pytest.mark.parametrize("sort", ["name", "-name", "touched", "-touched", "newest"])
def test_every_search_path_gives_the_same_pages(generated, monkeypatch, sort):
    """Ids in Python, a plain subquery, or (SQLite) the index walk: the same customers."""
    viewer = User.objects.get(username=demo.DEMO_USERNAME)
    rep = User.objects.filter(role=Role.REP).first()
    q = next(c for c in generated if c.archived_at is None).last_name[:1]

    def pages(user: User) -> list[int]:
        seen, cursor = [], ""
        while True:
            page = list_customers(user, Filters(q=q, sort=sort), cursor=cursor, limit=4)
            seen += [c.pk for c in page.items]
            if not page.next_cursor:
                return seen
            cursor = page.next_cursor

    expected = {u: pages(u) for u in (viewer, rep)}
    assert expected[viewer]
    monkeypatch.setattr(listing, "_SMALL_MATCH", 0)  # the subquery
    assert {u: pages(u) for u in (viewer, rep)} == expected
    monkeypatch.setattr(listing, "_LARGE_MATCH", 1)  # the walk in sort order (SQLite)
    assert {u: pages(u) for u in (viewer, rep)} == expected


def test_the_demo_command_computes_values_for_the_value_page(db):
    from lifelong.value.records import ValueSnapshot

    out = StringIO()
    call_command("demo", customers=60, seed=3, no_progress=True, stdout=out)
    assert "Values computed for" in out.getvalue()
    assert ValueSnapshot.objects.filter(tier="A").exists()
