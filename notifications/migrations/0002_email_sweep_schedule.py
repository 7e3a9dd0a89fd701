"""Schedule the sweep of notification e-mails still pending, every minute, in django_celery_beat's
database: e-mails whose queueing failed (the broker was down at commit) or whose sending failed are
sent once the broker and the mail server answer (workers also send one sweep when they start).
Each message expires after 55 seconds, so an outage leaves no backlog of sweeps."""

from django.db import migrations

TASK_NAME = "notifications.sweep_emails"
TASK = "notifications.tasks.sweep_notification_emails_task"


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
            "description": "通知邮件清扫：每分钟发送仍待发送的通知邮件（消息队列或邮件服务器曾不可用时留下的）。",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0013_auto_20200609_0727"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
