"""Trigram (pg_trgm) GIN indexes for the achievement search, on PostgreSQL only.

The search (``achievements.selectors.achievement_search``) is a substring match; Django writes
``icontains`` on PostgreSQL as ``UPPER(col::text) LIKE UPPER('%..%')`` and the patent-number branch
as ``REPLACE(patent_no, '.', '')::text LIKE '%..%'``. The indexes below are built on exactly those
expressions, so a query of three or more characters can use them. pg_trgm extracts trigrams from
Chinese text only when the database's LC_CTYPE is UTF-8 (e.g. ``C.UTF-8``).

On SQLite both operations do nothing; the indexes are not part of the model state, so
``makemigrations`` never sees them. Creating the extension needs a role that may create it (in
production: create it once as superuser, ``CREATE EXTENSION pg_trgm``; the operation then skips it).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TABLE = "achievements_achievement"
INDEXES = {
    "achievement_title_trgm": "UPPER((title)::text)",
    "achievement_keywords_trgm": "UPPER((keywords)::text)",
    "achievement_ref_trgm": "UPPER((ref)::text)",
    "achievement_patent_trgm": "(REPLACE((patent_no)::text, '.', ''))",
}


class PostgresTrigramExtension(TrigramExtension):
    """``TrigramExtension`` is already a no-op forwards on other databases; make backwards one too."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgresTrigramIndexes(migrations.operations.base.Operation):
    """Create (or drop) GIN ``gin_trgm_ops`` expression indexes when the database is PostgreSQL."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table, indexes):
        self.table = table
        self.indexes = indexes

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, expression in self.indexes.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
                f"ON {schema_editor.quote_name(self.table)} USING gin ({expression} gin_trgm_ops)"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in self.indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def describe(self):
        return "Create trigram GIN indexes on %s (PostgreSQL only)" % self.table


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0002_seed_clusters"),
    ]

    operations = [
        PostgresTrigramExtension(),
        PostgresTrigramIndexes(TABLE, INDEXES),
    ]
