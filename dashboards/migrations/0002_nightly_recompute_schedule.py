"""Schedule the nightly full recompute of the statistics in django_celery_beat's database.

Beat reads this row; staff can change the time or pause it in the admin. A run that could not
start within 6 hours (e.g. the worker was down all night) expires instead of piling up.
"""

from django.db import migrations

TASK_NAME = "dashboards.nightly_full_recompute"
TASK = "dashboards.tasks.recompute_full_task"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": nightly,
            "expire_seconds": 6 * 3600,
            "enabled": True,
            "description": "统计快照每晚全量重算（北京时间02:30）：修复因消息队列不可用而未完成的增量重算。",
        },
    )
    SnapshotState = apps.get_model("dashboards", "SnapshotState")
    RecomputeSchedule = apps.get_model("dashboards", "RecomputeSchedule")
    SnapshotState.objects.get_or_create(pk=1)
    RecomputeSchedule.objects.get_or_create(pk=1)


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("django_celery_beat", "0013_auto_20200609_0727"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
