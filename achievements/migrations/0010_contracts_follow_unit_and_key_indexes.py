"""A contract's unit is its achievement's; two PostgreSQL-only indexes for the transformed_in lists.

1. Contracts left under another unit than their achievement's (the service moved an achievement
   with contracts before the rule "an achievement with contracts keeps its unit" moved from the
   edit form into ``policies.achievement_problems``) are moved to the achievement's unit, unless
   that unit already has a contract with the same number (left as it is, and named).
2. ``transformation_status_unit_sign_idx`` (status, unit_id, signed_on, achievement_id): the
   contracts of a year of some units (a city's, a unit's) read from the index alone.
3. ``achievement_key_reg_unit_idx`` (id) INCLUDE (registered_on, unit_id): achievements looked up
   by key (``id = ANY(ARRAY(…))``), filtered by unit and sorted by registration from the index
   alone. See ``achievements.selectors.achievements_transformed_in``.
"""

from django.db import migrations
from django.db.models import F

from core.migration_operations import PostgresOnlySQL


def contracts_follow_their_achievements(apps, schema_editor):
    Transformation = apps.get_model("achievements", "Transformation")
    moved = Transformation.objects.exclude(unit_id=F("achievement__unit_id")).select_related("achievement")
    for contract in moved.iterator():
        target = contract.achievement.unit_id
        if Transformation.objects.filter(unit_id=target, ref=contract.ref).exists():
            print(f"contract {contract.pk} ({contract.ref}) left under unit {contract.unit_id}: number taken")
            continue
        Transformation.objects.filter(pk=contract.pk).update(unit_id=target)


INDEXES = {
    "transformation_status_unit_sign_idx": (
        '"achievements_transformation" ("status", "unit_id", "signed_on", "achievement_id")'
    ),
    "achievement_key_reg_unit_idx": '"achievements_achievement" ("id") INCLUDE ("registered_on", "unit_id")',
}


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0009_transformation_status_sign_ach_index"),
    ]

    operations = [
        migrations.RunPython(contracts_follow_their_achievements, migrations.RunPython.noop),
        PostgresOnlySQL(
            [f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}' for name, target in INDEXES.items()],
            [f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES],
            "Indexes for the transformed_in lists",
        ),
    ]
