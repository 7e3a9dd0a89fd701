"""PostgreSQL only: the contracts of a year carry their key, unit, transferee and amounts in the index.

The dashboard's contract links (``/contracts/?signed_year=Y&status=effective`` with an achievement
filter: a TRL, a cluster, an IP type; or local / out-of-province transferees; for the province or a
city) are counted and summed over a year of contracts; through ``transformation_status_sign_ach_idx``
(status, signed_on, achievement_id) PostgreSQL read them from the table (1M/3M, 2025: 390,000
contracts on 52,000 pages, 0.6-0.7 s a page on a slow day). With ``INCLUDE (id, unit_id,
transferee_id, amount, received)`` the same index answers those lists alone (0.2-0.35 s), and still
gives ``achievements_transformed_in`` its keys (achievements.selectors). Same name, wider entries;
SQLite gets nothing.
"""

from django.db import migrations

from core.migration_operations import PostgresOnlySQL

NAME = "transformation_status_sign_ach_idx"
TABLE = "achievements_transformation"


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0012_list_sort_indexes"),
    ]

    operations = [
        PostgresOnlySQL(
            [
                f'DROP INDEX IF EXISTS "{NAME}"',
                f'CREATE INDEX "{NAME}" ON "{TABLE}" (status, signed_on, achievement_id) '
                "INCLUDE (id, unit_id, transferee_id, amount, received)",
            ],
            [
                f'DROP INDEX IF EXISTS "{NAME}"',
                f'CREATE INDEX "{NAME}" ON "{TABLE}" (status, signed_on, achievement_id)',
            ],
            "Contracts of a year with their key, unit, transferee and amounts",
        )
    ]
