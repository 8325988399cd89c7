"""The audit log only grows: the model refuses changes and deletes, and so does the
database itself (triggers), for raw SQL too; `flush` alone may empty it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from lifelong.audit.log import record
from lifelong.audit.models import AppendOnlyError, AuditEvent
from lifelong.audit.unlock import lifted

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(owner) -> AuditEvent:
    record(owner, "view", customer_id=7, target="customer", ip="10.0.0.1")
    return AuditEvent.objects.get()


def raw(sql: str, *params: object) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_model_refuses_to_change_or_delete_an_event(event):
    event.target = "something else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(target="x")
    assert AuditEvent.objects.get().target == "customer"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET target = 'x'",
        "UPDATE audit_auditevent SET customer_id = 8",
        "UPDATE audit_auditevent SET actor_id = NULL, actor_name = ''",
        "UPDATE audit_auditevent SET ip = NULL",
        "DELETE FROM audit_auditevent",
        "DELETE FROM audit_auditevent WHERE id > 0",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(event, sql):
    with pytest.raises(IntegrityError, match="append-only"):
        raw(sql)
    assert AuditEvent.objects.filter(target="customer", customer_id=7, ip="10.0.0.1").exists()


@pytest.mark.django_db(transaction=True)  # TRUNCATE waits for no pending FK checks
def test_the_database_refuses_truncate_on_postgresql(event):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(IntegrityError, match="append-only"):
        raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_an_unlock_row_left_outside_a_transaction_is_not_possible(event):
    """lifted() removes its row before the transaction commits."""
    with lifted():
        raw("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_unlock")
        assert cursor.fetchone()[0] == 0
    record(None, "view", target="customer")
    with pytest.raises(IntegrityError):
        raw("DELETE FROM audit_auditevent")


def test_a_failed_unlocked_transaction_rolls_the_unlock_back(event):
    with pytest.raises(ZeroDivisionError), lifted():
        raw("DELETE FROM audit_auditevent")
        1 / 0  # noqa: B018
    assert AuditEvent.objects.count() == 1
    with pytest.raises(IntegrityError):
        raw("DELETE FROM audit_auditevent")


def test_deleting_a_user_keeps_their_events_under_their_name(event, owner):
    owner.delete()
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_name, event.target) == (None, "olivia", "customer")


@pytest.mark.django_db(transaction=True)
def test_flush_may_empty_the_log(owner):
    record(owner, "view", customer_id=1, target="customer")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()


def test_record_refuses_unknown_actions_and_channels(owner):
    with pytest.raises(ValueError, match="Unknown audit action"):
        record(owner, "peek")
    with pytest.raises(ValueError, match="Unknown audit channel"):
        record(owner, "view", via="fax")
    assert not AuditEvent.objects.exists()


def test_import_all_keeps_the_audit_log_and_unlinks_the_replaced_users(owner, customer):
    import io

    from lifelong import portability

    record(owner, "view", customer_id=customer.pk, target="customer")
    text = io.StringIO()
    portability.export_all(text)
    assert '"audit.auditevent"' not in text.getvalue()
    record(owner, "export", target="export all", via="cli")
    portability.import_all(io.StringIO(text.getvalue()), force=True)
    kept = list(AuditEvent.objects.order_by("id").values_list("actor", "actor_name", "action"))
    assert kept == [(None, "olivia", "view"), (None, "olivia", "export")]
