"""Trigram indexes on the searched columns themselves, on PostgreSQL only.

0003 indexed ``UPPER(col)`` to match Django's ``icontains``. The search now writes ``col LIKE`` for
values without letter case (Chinese, digits) and ``col ILIKE`` otherwise (``achievements.lookups``):
a ``gin_trgm_ops`` index on the column serves both, and a scan without ``UPPER`` is about three times
faster. This replaces the ``UPPER`` indexes and adds the columns the contract search reads. Nothing
happens on SQLite; the indexes are not part of the model state.
"""

from django.db import migrations

CREATE = {
    "achievement_title_trgm": ("achievements_achievement", "title"),
    "achievement_keywords_trgm": ("achievements_achievement", "keywords"),
    "achievement_ref_trgm": ("achievements_achievement", "ref"),
    "transformation_ref_trgm": ("achievements_transformation", "ref"),
    "transferee_name_trgm": ("achievements_transferee", "name"),
}
UPPER_INDEXES = {
    "achievement_title_trgm": ("achievements_achievement", "UPPER((title)::text)"),
    "achievement_keywords_trgm": ("achievements_achievement", "UPPER((keywords)::text)"),
    "achievement_ref_trgm": ("achievements_achievement", "UPPER((ref)::text)"),
}


class PostgresOnlySQL(migrations.operations.base.Operation):
    """Run statements on PostgreSQL only (state unchanged)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, forwards, backwards):
        self.forwards = forwards
        self.backwards = backwards

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
        return "Trigram indexes on the searched columns (PostgreSQL only)"


def _create(name, table, expression):
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ({expression} gin_trgm_ops)'


FORWARDS = [f'DROP INDEX IF EXISTS "{name}"' for name in UPPER_INDEXES] + [
    _create(name, table, f'"{column}"') for name, (table, column) in CREATE.items()
]
BACKWARDS = [f'DROP INDEX IF EXISTS "{name}"' for name in CREATE] + [
    _create(name, table, expression) for name, (table, expression) in UPPER_INDEXES.items()
]


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0003_trigram_search_indexes"),
    ]

    operations = [PostgresOnlySQL(FORWARDS, BACKWARDS)]
