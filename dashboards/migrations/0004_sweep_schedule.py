"""Schedule the sweep of dirty statistics rows every minute in django_celery_beat's database.

Changes saved while the broker was down or frozen keep their dirty rows; the sweep recomputes them
once the broker is back, without anyone editing (workers also send one sweep when they start).
Each message expires after 55 seconds, so an outage leaves no backlog of sweeps.
"""

from django.db import migrations

TASK_NAME = "dashboards.sweep_dirty"
TASK = "dashboards.tasks.sweep_dirty_task"


def add_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "expire_seconds": 55,
            "enabled": True,
            "description": "统计待重算记录清扫：每分钟重算仍待更新的单位（消息队列曾不可用时保存的变更、计算失败的单位）。",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0003_stat_failure"),
        ("django_celery_beat", "0013_auto_20200609_0727"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
