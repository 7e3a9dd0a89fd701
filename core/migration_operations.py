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
