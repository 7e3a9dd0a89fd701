"""``manage.py healthcheck [--beat]``: the container health check of the web app and of Celery beat.

Prints the same JSON report as ``/healthz/`` and exits 1 when unhealthy. With ``--beat`` it also
requires that beat has sent the heartbeat task recently: the ``last_run_at`` that the
DatabaseScheduler writes back (every few minutes) must be younger than ``--max-age`` seconds.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.health import OK, health_report

HEARTBEAT_SCHEDULE_NAME = "core.worker_heartbeat"


class Command(BaseCommand):
    help = "检查数据库、消息队列和定时任务调度器（beat）是否正常；不正常时以状态码 1 退出。"

    def add_arguments(self, parser):
        parser.add_argument("--beat", action="store_true", help="同时检查 beat 最近是否发送过心跳任务")
        parser.add_argument(
            "--max-age", type=int, default=360, help="beat 最近一次发送心跳任务的最长间隔（秒）"
        )

    def handle(self, *args, beat: bool = False, max_age: int = 360, **options):
        report = health_report()
        problems = (
            [] if report["status"] == OK else [f"database={report['database']}, broker={report['broker']}"]
        )
        if beat:
            report["beat"] = self._beat_state(max_age)
            if report["beat"]["status"] != OK:
                problems.append(f"beat={report['beat']['status']}")
        self.stdout.write(json.dumps(report, ensure_ascii=False))
        if problems:
            raise CommandError("unhealthy: " + "; ".join(problems), returncode=1)

    @staticmethod
    def _beat_state(max_age: int) -> dict:
        task = PeriodicTask.objects.filter(name=HEARTBEAT_SCHEDULE_NAME).first()
        if task is None or not task.enabled:
            return {"status": "unconfigured", "last_run_at": None}
        if task.last_run_at is None:
            return {"status": "stale", "last_run_at": None}
        age = (timezone.now() - task.last_run_at).total_seconds()
        return {"status": OK if age <= max_age else "stale", "last_run_at": task.last_run_at.isoformat()}
