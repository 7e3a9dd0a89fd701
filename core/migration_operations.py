"""Migration operations shared by the apps."""

from django.db import migrations


class PostgresOnlySQL(migrations.operations.base.Operation):
    """Run statements on PostgreSQL only, leaving the model state unchanged: indexes that only
    PostgreSQL's planner uses (covering and partial indexes, trigram indexes, …); ``makemigrations``
    never sees them. SQLite gets nothing."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, forwards: list[str], backwards: list[str], description: str):
        self.forwards = forwards
        self.backwards = backwards
        self.description = description

    def state_forwards(self, app_label, state):
        pass

    def _run(self, schema_editor, statements):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.forwards)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.backwards)

    def describe(self):
        return f"{self.description} (PostgreSQL only)"


class DropFieldIndex(migrations.operations.base.Operation):
    """Drop the index that Django made for a field's ``db_index`` (a foreign key's own index),
    leaving its constraints alone; for ``SeparateDatabaseAndState``, next to the
    ``AlterField(..., db_index=False)`` that records the change in the model state.

    Django's ``AlterField`` does the same by dropping the foreign key's constraint and adding it
    again, which on PostgreSQL locks the table against reading and checks every row once more
    (seconds to minutes on a large registry); dropping the index alone takes a moment. Backwards,
    the index is made again under Django's name for it."""

    reversible = True

    def __init__(self, model_name: str, field_name: str):
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.field_name], {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        column = model._meta.get_field(self.field_name).column
        names = schema_editor._constraint_names(model, [column], index=True, unique=False, primary_key=False)
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.field_name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def describe(self):
        return f"Drop the own index of {self.model_name}.{self.field_name}"
