"""Migration operations of our own.

DropFieldIndex: a foreign key (or any field) loses the index of its own that Django gave
it (db_index=True -> False), and nothing else happens to the table. Django's AlterField
would do the same on PostgreSQL but, on SQLite, copy the whole table into a new one to
change db_index: minutes for a table of millions of rows, for an index it could drop in
a moment. lifelong/tests/test_schema.py says which indexes go: those whose columns begin
another index of the same table, which serves every lookup they would.
"""

from __future__ import annotations

from django.db import migrations


class DropFieldIndex(migrations.AlterField):
    """AlterField for a field whose only change is db_index=True -> False: the field's
    own single-column index is dropped (found by its columns, whatever its name), and
    made again when the migration is reversed."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        for name in _single_column_indexes(schema_editor, model._meta.db_table, column):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        if not _single_column_indexes(schema_editor, model._meta.db_table, field.column):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def describe(self) -> str:
        return f"Drop the index of its own of {self.model_name}.{self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"drop_index_{self.model_name_lower}_{self.name_lower}"


def _single_column_indexes(schema_editor, table: str, column: str) -> list[str]:
    """Names of the plain (not unique) indexes on exactly `column`: the one Django made
    for a field with db_index (no partial index of ours has a single column)."""
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, c in constraints.items()
        if c["index"] and not c["unique"] and not c["primary_key"] and c["columns"] == [column]
        and not name.endswith("_like")  # PostgreSQL's pattern index of a text column
    ]  # fmt: skip
