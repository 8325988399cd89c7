"""`lifelong export all` → `lifelong import all`: every row of every model, losslessly.

The round trip runs the console script against a fresh SQLite file (migrated first, so
it holds the default questions the migrations add), whichever database the suite runs
on; the Hypothesis property and the error cases run in the test database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifelong import demo, portability
from lifelong.accounts.models import Business, Role, User
from lifelong.accounts.services import create_token
from lifelong.accounts.throttle import record_failure
from lifelong.commerce.models import ProductVersion, Purchase, PurchaseLine, UpgradeOffer
from lifelong.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    NotDuplicate,
    ProfileAnswer,
    ProfileQuestion,
    Relative,
)
from lifelong.customers.partial_dates import PartialDate
from lifelong.imports.models import ImportBatch
from lifelong.occasions.feed import feed_for
from lifelong.occasions.models import Occasion
from lifelong.occasions.services import mark, next_occurrence
from lifelong.outreach.compliance import suppress
from lifelong.outreach.jobs import claim
from lifelong.outreach.models import Message, Program
from lifelong.promises.models import Promise
from lifelong.referrals.models import Referral
from lifelong.referrals.services import mark as mark_referral
from lifelong.referrals.services import record_ask, record_referral
from lifelong.surveys.models import Invitation, Response, Survey
from lifelong.tests.test_demo_cli import lifelong
from lifelong.touches.models import Touch
from lifelong.value.services import refresh_values

TODAY = dt.date(2025, 6, 16)
NOW = dt.datetime(2025, 6, 16, 12, 30, 15, 123456, tzinfo=dt.UTC)


# ----------------------------------------------------------------- helpers


def export_text(**kwargs: Any) -> str:
    out = io.StringIO()
    portability.export_all(out, **kwargs)
    return out.getvalue()


def without_time(text: str) -> dict[str, Any]:
    """The export as data, minus the moment it was written."""
    data = json.loads(text)
    data.pop("exported_at")
    return data


def table_contents() -> dict[str, list[tuple]]:
    """Every exported table, row by row, every column: what the database holds."""
    return {
        portability.label(m): list(
            m._base_manager.order_by("pk").values_list(
                *[f.attname for f in m._meta.local_concrete_fields]
            )
        )
        for m in portability.exported_models()
    }


def populate() -> None:
    """At least one row in every exported model: the demo, plus what it does not make."""
    Business.objects.update_or_create(
        pk=1, defaults={"name": "Björk & Söner", "postal_address": "Storgatan 1\n111 22 Sthlm"}
    )
    demo.generate(40, seed=7, today=TODAY, progress=False)
    user = User.objects.get(username=demo.DEMO_USERNAME)
    group = Group.objects.create(name="Field team")
    group.permissions.add(Permission.objects.get(codename="view_customer"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="change_customer"))
    create_token(user, "phone app")
    record_failure("ghost", "203.0.113.9")
    feed_for(user)
    ProfileQuestion.objects.filter(key="hometown").update(hidden=True, text="Grew up in")
    ProfileQuestion.objects.create(
        section="interests", key="boat", text="Boat?", kind="choice", choices=["sail", "motor"]
    )
    occasion = Occasion.objects.order_by("pk").first()
    assert occasion is not None
    on = next_occurrence(occasion, TODAY)
    assert on is not None
    mark(occasion, on, "snoozed", by=user, until=on + dt.timedelta(days=3))
    refresh_values(now=NOW)
    suppress("gone@example.com", "unsubscribed", note="clicked the link")
    claim("nightly", TODAY)
    program = Program.objects.order_by("pk").first()
    assert program is not None
    customer = Customer.objects.order_by("pk").first()
    assert customer is not None
    touch = Touch.objects.create(customer=customer, user=user, channel="email", summary="Hej")
    free = Customer.objects.filter(referred_by=None).exclude(pk=customer.pk).order_by("pk")
    if not Referral.objects.exists():
        record_referral(customer, free[0], by=user, note="Met at the fair")
    record_ask(customer, by=user, note="Asked at lunch")
    mark_referral(customer, "ask", "dismissed", by=user)
    message = Message.objects.create(
        program=program,
        customer=customer,
        occurrence="2025-06-16",
        status="sent",
        to_address="anna@example.com",
        subject="Hej Anna — ✓",
        body_text="Rad 1\nRad 2",
        message_id="<1.2025-06-16@example.com>",
        sent_at=NOW,
        touch=touch,
        touch_logged=True,
    )
    NotDuplicate.objects.create(a=customer, b=free[1], by=user)
    first = Promise.objects.create(
        customer=customer, owner=user, what="Send the brochure", due_on=TODAY, created_by=user
    )
    second = Promise.objects.create(
        customer=customer,
        owner=user,
        what="Send the brochure — really",
        due_on=TODAY + dt.timedelta(days=7),
        status="open",
        touch=touch,
        purchase=Purchase.objects.filter(customer=customer).first(),
    )
    Promise.objects.filter(pk=first.pk).update(status="renegotiated", renegotiated_to=second)
    ImportBatch.objects.create(
        created_by=user,
        file_name="kunder.csv",
        format="csv",
        encoding="cp1252",
        on_duplicate="skip",
        rows=3,
        created_count=1,
        rejected_count=1,
        created=[customer.pk],
        rejections=[{"line": 3, "reason": "no name"}],
        finished_at=NOW,
    )
    survey = Survey.objects.create(
        name="How are we doing?", follow_ups=[{"text": "Why?", "kind": "text"}], created_by=user
    )
    invitation = Invitation.objects.create(
        survey=survey, customer=customer, occurrence="2025-06-16", message=message
    )
    Response.objects.create(
        invitation=invitation,
        customer=customer,
        score=9,
        answers=[{"question": "Why?", "answer": "Snabbt och vänligt"}],
        comment="Tack!",
        touch=touch,
    )
    version = ProductVersion.objects.order_by("pk").first()
    UpgradeOffer.objects.create(
        version=version, price="99.50", expires_on=TODAY, program=program, created_by=user
    )
    # At risk and extras (issue 8): the demo's bulk purchases make no suggestion.
    from lifelong.extras.models import ExtraRule, ExtraSuggestion
    from lifelong.value.records import RiskMark, RiskScore

    RiskMark.objects.create(customer=customer, hidden_until=TODAY, action="snooze")
    RiskScore.objects.create(
        customer=customer,
        score=0.61,
        value_at_stake=120.5,
        value=197.5,
        value_rank=7,
        agenda_rank=7.61,
        reasons=["No contact for 47 days, due every 30."],
        action="Call them.",
        signals=["overdue"],
        computed_at=NOW,
    )
    from lifelong.privacy.models import RetentionPolicy, RetentionReview

    RetentionPolicy.objects.create(years=7, updated_by=user)
    RetentionReview.objects.create(customer=customer, reviewed_at=NOW, reviewed_by=user)
    order = Purchase.objects.order_by("pk").first()
    ExtraSuggestion.objects.create(
        customer_id=order.customer_id,
        rule=ExtraRule.objects.order_by("pk").first(),
        purchase=order,
        multiple=2.5,
    )


# ----------------------------------------------------------------- completeness


def test_every_model_of_every_lifelong_app_is_exported():
    exported = set(portability.exported_models())
    for config in apps.get_app_configs():
        if not (config.name == "lifelong" or config.name.startswith("lifelong.")):
            continue
        for model in config.get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                name = portability.label(model)
                assert model in exported or name in portability.NOT_DATA, f"{name} is not exported"
    # What is left out is what is not data.
    left_out = {portability.label(m) for m in apps.get_models(include_auto_created=True)}
    left_out -= {portability.label(m) for m in exported}
    assert left_out <= set(portability.NOT_DATA), left_out


def test_models_come_after_the_models_they_point_at():
    order = portability.exported_models()
    seen: set[type[models.Model]] = set()
    for model in order:
        for f in model._meta.local_concrete_fields:
            if f.is_relation and f.related_model in order and f.related_model is not model:
                assert f.related_model in seen, (model, f.name)
        seen.add(model)


@pytest.mark.django_db
def test_the_round_trip_fixture_has_a_row_in_every_model():
    """Loud: a new model needs a row in populate(), or the round trip proves nothing."""
    populate()
    empty = [label for label, rows in table_contents().items() if not rows]
    assert not empty, (
        f"no rows in {empty}: add some to populate() in {Path(__file__).name} so that "
        "the export round trip covers them"
    )


# ----------------------------------------------------------------- round trip


@pytest.mark.django_db(transaction=True)
def test_export_all_then_import_all_into_an_empty_database_reproduces_everything(tmp_path):
    populate()
    source = tmp_path / "everything.json"
    call_command("export", "all", "--output", str(source), "--no-progress", stderr=io.StringIO())
    text = source.read_text(encoding="utf-8")
    assert without_time(text) == without_time(export_text())

    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELONG_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    env["LIFELONG_VAR_DIR"] = str(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    assert lifelong("migrate", "--no-input", env=env).returncode == 0
    imported = lifelong("import", "all", str(source), "--no-progress", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "(40 customers)" in imported.stdout
    again = lifelong("export", "all", "--output", str(tmp_path / "again.json"), env=env)
    assert again.returncode == 0, again.stderr

    first = without_time(text)
    second = without_time((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert [b["model"] for b in second["models"]] == [b["model"] for b in first["models"]]
    for a, b in zip(first["models"], second["models"], strict=True):
        assert a == b, a["model"]
    assert first == second


@pytest.mark.django_db(transaction=True)
def test_import_all_replaces_the_tables_and_new_rows_get_fresh_ids(tmp_path):
    populate()
    before = table_contents()
    text = export_text()
    # A database that is not empty: --force replaces it all.
    Customer.objects.filter(pk__in=Customer.objects.order_by("pk").values("pk")[:3]).delete()
    Business.objects.filter(pk=1).update(name="Changed")
    ProfileQuestion.objects.filter(key="boat").delete()
    with pytest.raises(portability.DatabaseNotEmpty):
        portability.import_all(io.StringIO(text))
    path = tmp_path / "everything.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="--force") as refused:
        call_command("import", "all", str(path), "--no-progress", stdout=io.StringIO())
    assert refused.value.returncode == 1
    report = portability.import_all(io.StringIO(text), force=True)
    assert report.rows == sum(len(rows) for rows in before.values())
    assert table_contents() == before
    # The sequences moved past the imported ids (PostgreSQL; SQLite does it itself).
    owner = User.objects.get(username=demo.DEMO_USERNAME)
    new = Customer.objects.create(owner=owner, first_name="New")
    assert new.pk > max(row[0] for row in before["customers.customer"])
    purchase = Purchase.objects.create(
        customer=new, occurred_at=NOW, total=Decimal("1.00"), currency="EUR"
    )
    line = PurchaseLine.objects.create(purchase=purchase, customer=new, amount=Decimal(1))
    assert line.pk > max(row[0] for row in before["commerce.purchaseline"])


@pytest.mark.django_db
def test_users_keep_their_password_hashes_tokens_and_permissions():
    populate()
    user = User.objects.get(username=demo.DEMO_USERNAME)
    password, token_hash = user.password, user.tokens.get().key_hash
    text = export_text()
    portability.import_all(io.StringIO(text), force=True)
    user = User.objects.get(username=demo.DEMO_USERNAME)
    assert user.password == password
    assert user.check_password(demo.DEMO_PASSWORD)
    assert user.tokens.get().key_hash == token_hash
    assert user.has_perm("customers.change_customer")
    assert user.has_perm("customers.view_customer")  # through the group
    row = next(b for b in json.loads(text)["models"] if b["model"] == "auth.group_permissions")
    assert row["rows"][0]["permission"] == ["view_customer", "customers", "customer"]


# ----------------------------------------------------------------- unusable files


@pytest.fixture
def small_export(db) -> str:
    owner = User.objects.create(username="o", role=Role.OWNER)
    Customer.objects.create(owner=owner, first_name="Åsa")
    text = export_text()
    Customer.objects.all().delete()
    return text


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: "not json at all", "not a JSON document"),
        (lambda t: '{"format": "something-else"}', "not a Lifelong export"),
        (lambda t: t.replace('"version": 1', '"version": 99', 1), "version 99"),
        (lambda t: t.replace('"customers": "0', '"customers": "9', 1), "other migrations"),
        (lambda t: t[: t.index('{"model": "customers.customer"') - 1], "ends early"),
        (lambda t: t.replace('"first_name": "Åsa"', '"first_name": "Åsa", "x": 1'), "unknown"),
        (lambda t: t.replace('"customers.customer"', '"nowhere.thing"'), "no such model"),
        (lambda t: t.replace(', "count": 1}', ', "count": 2}', 1), "the file says 2"),
    ],
)
def test_an_unusable_file_exits_2_and_changes_nothing(tmp_path, small_export, mangle, message):
    path = tmp_path / "bad.json"
    path.write_text(mangle(small_export), encoding="utf-8")
    before = table_contents()
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import", "all", str(path), "--no-progress", stdout=io.StringIO())
    assert raised.value.returncode == 2
    assert table_contents() == before


def test_a_missing_file_exits_2(tmp_path, db):
    with pytest.raises(CommandError, match="No such file") as raised:
        call_command("import", "all", str(tmp_path / "nope.json"), stdout=io.StringIO())
    assert raised.value.returncode == 2


def test_a_pretty_printed_export_still_imports(tmp_path, small_export):
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(json.loads(small_export), indent=2), encoding="utf-8")
    out = io.StringIO()
    call_command("import", "all", str(path), "--no-progress", stdout=out)
    assert "(1 customers)" in out.getvalue()
    assert Customer.objects.get().first_name == "Åsa"


def test_export_all_to_stdout(small_export, capsys):
    portability.import_all(io.StringIO(small_export))
    out = io.StringIO()
    call_command("export", "all", stdout=out)
    assert without_time(out.getvalue()) == without_time(small_export)


# ----------------------------------------------------------------- the property

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=40,
)
NAME = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=30)
MOMENT = st.datetimes(  # naive bounds, aware values: Hypothesis's way
    min_value=dt.datetime(1990, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
PARTIAL_DATE = st.builds(
    lambda d, known: PartialDate(year=d.year if known else None, month=d.month, day=d.day),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.booleans(),
)
EMAIL = st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9-]{1,20}\.(se|com|xn--p1ai)", fullmatch=True)
PHONE = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)

CUSTOMER = st.fixed_dictionaries(
    {
        "first_name": NAME,
        "last_name": TEXT.map(lambda s: s[:100]),
        "company": TEXT,
        "notes": TEXT,
        "external_id": st.none() | st.uuids().map(str),
        "email_consent": st.booleans(),
        "became_customer_on": st.none() | st.dates(min_value=dt.date(1950, 1, 1)),
        "contact_every_days": st.none() | st.integers(1, 30),
        "last_touched_at": st.none() | MOMENT,
        "emails": st.lists(EMAIL, max_size=3, unique=True),
        "phones": st.lists(PHONE, max_size=3, unique=True),
        "relatives": st.lists(
            st.tuples(
                NAME, st.sampled_from(["child", "spouse", "parent"]), st.none() | PARTIAL_DATE
            ),
            max_size=3,
        ),
        "answers": st.dictionaries(
            st.sampled_from(["hometown", "languages", "partner_name"]), TEXT
        ),
        "birthday": st.none() | PARTIAL_DATE,
        "touches": st.lists(
            st.tuples(st.sampled_from(["call", "email", "gift"]), MOMENT, NAME, TEXT), max_size=3
        ),
    }
)


def _make(owner: User, spec: dict[str, Any]) -> None:
    customer = Customer.objects.create(
        owner=owner,
        **{k: spec[k] for k in ("first_name", "last_name", "company", "notes", "external_id")},
        email_consent=spec["email_consent"],
        became_customer_on=spec["became_customer_on"],
        contact_every_days=spec["contact_every_days"],
        last_touched_at=spec["last_touched_at"],
    )
    for i, address in enumerate(spec["emails"]):
        CustomerEmail.objects.create(customer=customer, address=address, position=i)
    for i, number in enumerate(spec["phones"]):
        CustomerPhone.objects.create(customer=customer, number=number, position=i)
    for name, relationship, birthday in spec["relatives"]:
        Relative.objects.create(
            customer=customer, name=name, relationship=relationship, birthday=birthday
        )
    answers = dict(spec["answers"])
    if spec["birthday"] is not None:
        answers["birthday"] = spec["birthday"].isoformat()
    for key, value in answers.items():
        question = ProfileQuestion.objects.get(key=key)
        ProfileAnswer.objects.create(customer=customer, question=question, value=value)
    for channel, when, summary, outcome in spec["touches"]:
        Touch.objects.create(
            customer=customer, user=owner, channel=channel, occurred_at=when,
            summary=summary, outcome=outcome,
        )  # fmt: skip


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(CUSTOMER, min_size=1, max_size=4, unique_by=lambda s: s["external_id"]))
def test_property_export_import_export_gives_the_same_data(specs):
    with transaction.atomic():
        owner = User.objects.create(username="owner", role=Role.OWNER, first_name="Öde")
        for spec in specs:
            _make(owner, spec)
        before = table_contents()
        first = export_text()
        report = portability.import_all(io.StringIO(first), force=True)
        assert report.models["customers.customer"] == len(specs)
        assert table_contents() == before
        assert without_time(export_text()) == without_time(first)
        transaction.set_rollback(True)


def test_the_export_is_read_in_one_snapshot(db):
    """Sanity check of the reader on an empty database: every model is there, in order."""
    data = json.loads(export_text())
    assert data["format"] == "lifelong-export" and data["version"] == 1
    assert [b["model"] for b in data["models"]] == [
        portability.label(m) for m in portability.exported_models()
    ]
    assert data["django_migrations"] == portability.applied_migrations()
    assert connection.vendor in {"sqlite", "postgresql"}
