"""Indexes for the lists' sorts: every sortable column of the contract list, and titles.

A list sorts by one column, then by key (``core.ui.tables.Table.order``). On the 1M/3M benchmark,
sorting the 3,000,000 contracts by a column without an index made PostgreSQL read and sort them all
for a page of 25 (0.5-0.9 s on a slow day). With ``(column, id)`` it reads the index in order; by
unit, transferee or achievement it walks the units (transferees, achievements) in name order
through ``(name, id)`` and each one's contracts through the foreign key's index, sorting one group
by key at a time (an incremental sort): 50-120 ms a page. The achievement list sorted by title
uses ``achievement_title_idx`` directly.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0011_transformation_ach_amounts_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="achievement",
            index=models.Index(fields=["title", "id"], name="achievement_title_idx"),
        ),
        migrations.AddIndex(
            model_name="transferee",
            index=models.Index(fields=["name", "id"], name="transferee_name_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["ref", "id"], name="transformation_ref_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["mode", "id"], name="transformation_mode_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["amount", "id"], name="transformation_amount_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["received", "id"], name="transformation_received_idx"),
        ),
        migrations.AddIndex(
            model_name="transformation",
            index=models.Index(fields=["status", "id"], name="transformation_status_key_idx"),
        ),
        migrations.AddIndex(
            model_name="unit",
            index=models.Index(fields=["name", "id"], name="unit_name_idx"),
        ),
    ]
