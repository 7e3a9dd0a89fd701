"""Trigram indexes on the searched columns themselves, on PostgreSQL only.

0003 indexed ``UPPER(col)`` to match Django's ``icontains``. The search now writes ``col LIKE`` for
values without letter case (Chinese, digits) and ``col ILIKE`` otherwise (``achievements.lookups``):
a ``gin_trgm_ops`` index on the column serves both, and a scan without ``UPPER`` is about three times
faster. This replaces the ``UPPER`` indexes and adds the columns the contract search reads. Nothing
happens on SQLite; the indexes are not part of the model state.
"""

from django.db import migrations

from core.migration_operations import PostgresOnlySQL

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

    operations = [PostgresOnlySQL(FORWARDS, BACKWARDS, "Trigram indexes on the searched columns")]
