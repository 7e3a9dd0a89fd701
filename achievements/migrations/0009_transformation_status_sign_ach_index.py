"""PostgreSQL only: the achievements with an effective contract signed in a year, from one index.

``achievements.selectors.achievements_transformed_in`` takes the achievements of a past year's
``transformed_in`` list from that year's contracts (``id = ANY(ARRAY(SELECT achievement_id …))``).
With (status, signed_on, achievement_id) the contracts of a year are read from the index alone
(1M/3M: 181,323 contracts of 2018 in about 30 ms instead of 370 ms through the table). SQLite runs
that filter as a probe per achievement (``transformation_ach_status_idx``) and gets no index here;
the index is not part of the model state, so ``makemigrations`` never sees it.
"""

from django.db import migrations

NAME = "transformation_status_sign_ach_idx"
TABLE = "achievements_transformation"


class PostgresIndex(migrations.operations.base.Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(NAME)} "
                f"ON {schema_editor.quote_name(TABLE)} (status, signed_on, achievement_id)"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(NAME)}")

    def describe(self):
        return f"Create index {NAME} on {TABLE} (PostgreSQL only)"


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0008_history_reason_text"),
    ]

    operations = [PostgresIndex()]
