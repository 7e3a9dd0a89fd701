"""PostgreSQL only: the contracts by achievement with their key and amounts, from the index alone.

The contract list filtered by its achievements' attributes (an IP type, province-wide) is counted
and summed by a merge join in the achievements' order; through ``transformation_ach_status_idx``
PostgreSQL read a quarter of a million contracts at random for the capped count (1M/3M: 0.8-0.94 s).
``transformation_ach_amounts_idx`` (achievement_id) INCLUDE (id, amount, received) answers it from
the index alone (0.09 s). A separate index, so that the "has an effective contract" probes keep
their narrow one (widening that one slowed ``transformed=false`` from 0.43 to 0.6 s). SQLite has
no covering indexes and gets nothing; the index is not part of the model state.
"""

from django.db import migrations

from core.migration_operations import PostgresOnlySQL

NAME = "transformation_ach_amounts_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0010_contracts_follow_unit_and_key_indexes"),
    ]

    operations = [
        PostgresOnlySQL(
            [
                f'CREATE INDEX IF NOT EXISTS "{NAME}" ON "achievements_transformation" '
                '("achievement_id") INCLUDE ("id", "amount", "received")'
            ],
            [f'DROP INDEX IF EXISTS "{NAME}"'],
            "Contracts by achievement with their key and amounts",
        )
    ]
