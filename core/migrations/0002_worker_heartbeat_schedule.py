"""Schedule ``core.tasks.worker_heartbeat_task`` every minute in django_celery_beat's database.

Beat (``--scheduler django_celery_beat.schedulers:DatabaseScheduler``) reads this row; staff can
pause or change it in the admin. Each message expires after 50 seconds, so a stopped worker does not
find a backlog of stale heartbeats when it comes back.
"""

from django.db import migrations

TASK_NAME = "core.worker_heartbeat"
TASK = "core.tasks.worker_heartbeat_task"


def add_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "expire_seconds": 50,
            "enabled": True,
            "description": "后台任务心跳：每分钟记录一次 Celery worker 的心跳，供 /healthz/ 判断 worker 是否在运行。",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_worker_heartbeat"),
        ("django_celery_beat", "0013_auto_20200609_0727"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
