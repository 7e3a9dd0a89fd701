"""The contract list sorted by achievement (its title) or by status reads an index in order; the
units' foreign keys lose the indexes that two-column indexes already start with.

- ``achievement_title_idx`` (title, id): PostgreSQL walks the achievements in title order and reads
  each one's contracts by their key, sorting one group at a time (an incremental sort), as the unit
  and transferee sorts of 0012 do; ``transformation_status_idx`` (status, id) is read in order.
  Over the 1M/3M benchmark's 3,000,000 contracts these two sorts were the slowest list links
  (p95 0.51 and 0.52 s); 0012 left them out for their cost to a large import.
- That cost is paid back here and in 0014 (the history tables' copied indexes): the foreign key
  ``unit`` of achievements and of contracts had an index of its own, although the unique
  ``(unit_id, ref)`` of each (and the achievements' ``(unit_id, registered_on)``) starts with it and
  serves every look-up by unit. So an import writes the same number of index entries per record as
  before these sorts (docs/exchange.md, *Performance*). Only the index goes
  (``core.migration_operations.DropFieldIndex``): Django's ``AlterField`` would drop the foreign
  key's constraint and add it again, locking the table against reading while every row is checked.
  The two new indexes are built the ordinary way, which holds off writes (not reads) while they are
  built: seconds at the benchmark's 1,000,000 achievements and 3,000,000 contracts.
"""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import DropFieldIndex


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0014_history_indexes_record_id_only"),
    ]

    operations = [
        # The model state records db_index=False; the database loses the index only (see
        # core.migration_operations.DropFieldIndex: AlterField would drop and re-add the foreign
        # key's constraint, locking the table and checking every row again).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="achievement",
                    name="unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="achievements",
                        to="achievements.unit",
                        verbose_name="完成单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="transformation",
                    name="unit",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="成果所属单位；合同编号在单位内唯一",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transformations",
                        to="achievements.unit",
                        verbose_name="完成单位",
                    ),
                ),
            ],
            database_operations=[
                DropFieldIndex("achievement", "unit"),
                DropFieldIndex("transformation", "unit"),
            ],
        ),
        migrations.AddIndex(
            model_name="achievement",
            index=models.Index(fields=["title", "id"], name="achievement_title_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["status", "id"], name="transformation_status_idx"),
        ),
    ]
