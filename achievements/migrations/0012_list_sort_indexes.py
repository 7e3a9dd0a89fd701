"""Indexes for the contract list's sorts by unit, by transferee and by amount.

A list sorts by one column, then by key (``core.ui.tables.Table.order``). On the 1M/3M benchmark,
sorting the 3,000,000 contracts by unit or transferee name or by amount made PostgreSQL read and
sort them all for a page of 25 (0.55-1.06 s on a slow day). With ``(amount, id)`` it reads the
index in order; by unit or transferee it walks them in name order through ``(name, id)`` and each
one's contracts through the foreign key's index, sorting one group by key at a time (an incremental
sort): 50-140 ms a page. An index for every other sortable column (ref, mode, status, received, the
achievement's title) was tried: those sorts fell to 50-110 ms too, but importing 250,104 rows then
cost the database 38 s of CPU, against 29-33 s before any of these and 35 s with the three kept
(one run each, on a machine whose speed varied by 15 % from run to run), so they were left out
(docs/dashboards.md, "Targets").
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0011_transformation_ach_amounts_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transferee",
            index=models.Index(fields=["name", "id"], name="transferee_name_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["amount", "id"], name="transformation_amount_idx"),
        ),
        migrations.AddIndex(
            model_name="unit",
            index=models.Index(fields=["name", "id"], name="unit_name_idx"),
        ),
    ]
