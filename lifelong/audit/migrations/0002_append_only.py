"""Database triggers that make audit_auditevent append-only.

UPDATE is refused, except the one Django makes when a user is deleted (actor_id set to
NULL, nothing else changed: actor_name keeps who it was). DELETE (and TRUNCATE on
PostgreSQL) is refused unless the deleting transaction holds a row in audit_unlock,
which only lifelong.audit.unlock.lifted() adds and removes again within one transaction
(used by `flush`, which empties every table).
"""

from django.db import migrations

MESSAGE = "audit log is append-only"

# Every column but actor_id: an UPDATE that leaves them all alone and sets actor_id to
# NULL is the ON DELETE SET NULL of a deleted user.
KEPT = ["id", "at", "actor_name", "action", "customer_id", "target", "via", "ip"]

UNLOCK_TABLE = "CREATE TABLE audit_unlock (id integer PRIMARY KEY)"

SQLITE = [
    UNLOCK_TABLE,
    f"""CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    WHEN NOT (NEW.actor_id IS NULL AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT)})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_unlock)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TABLE IF EXISTS audit_unlock",
]

POSTGRESQL = [
    UNLOCK_TABLE,
    f"""CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.actor_id IS NULL
                AND ({", ".join(f"NEW.{c}" for c in KEPT)})
                    IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in KEPT)}) THEN
                RETURN NEW;
            END IF;
        ELSIF EXISTS (SELECT 1 FROM audit_unlock) THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END
    $$""",
    """CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE
    ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    """CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE
    ON audit_auditevent FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_append_only()",
    "DROP TABLE IF EXISTS audit_unlock",
]


def run(statements: dict[str, list[str]]):
    def apply(apps, schema_editor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotImplementedError(f"the audit log's triggers are not written for {vendor}")
        for sql in statements[vendor]:
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
