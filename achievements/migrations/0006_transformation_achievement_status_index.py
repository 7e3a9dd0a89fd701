"""One index for "has an effective contract signed in / by year Y" (the drill-down filters
``transformed_in``, ``transformed_by`` and ``transformed`` of the achievement list).

The filters are correlated ``EXISTS`` subqueries on (achievement, status, signed_on). With only the
(status, signed_on) index and the foreign key's own index, SQLite's planner chose the former and read
a whole year of contracts for every achievement (minutes for one list on the demo data); this index
answers each probe from the index alone on both databases. It starts with the achievement, so the
foreign key's single-column index is dropped (one index less to maintain on every import).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0005_record_dates_1985_to_today"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(
                fields=["achievement", "status", "signed_on"], name="transformation_ach_status_idx"
            ),
        ),
        migrations.AlterField(
            model_name="transformation",
            name="achievement",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transformations",
                to="achievements.achievement",
                verbose_name="科技成果",
            ),
        ),
    ]
