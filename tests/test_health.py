"""/healthz/, the worker heartbeat and its beat schedule, and ``manage.py healthcheck``."""

import datetime
import os
import socket
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connections
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core import health
from core.models import WorkerHeartbeat
from core.tasks import worker_heartbeat_task
from liaoning_tt.celery import app as celery_app

pytestmark = pytest.mark.django_db

# Upper bound for a health request against a dead broker: far above the configured timeout, far below a hang.
HANG_GUARD_SECONDS = 30


def _get_healthz(client):
    response = client.get(reverse("healthz"))
    return response, response.json()


def _closed_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_healthz_in_thread(client):
    """GET /healthz/ in a thread; fail if it has not answered within the hang guard."""
    result = {}

    def run():
        try:
            result["response"] = client.get(reverse("healthz"))
        finally:
            connections.close_all()  # this thread's own connection, or the test database cannot be dropped

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_SECONDS)
    assert not thread.is_alive(), "/healthz/ hung on an unreachable broker"
    return result["response"], result["response"].json()


def test_healthz_is_public_and_ok_with_database_and_no_broker(client, settings):
    settings.CELERY_BROKER_URL = ""

    response, body = _get_healthz(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "unconfigured"
    assert body["worker"] == {
        "status": "unknown",
        "hostname": None,
        "last_heartbeat": None,
        "age_seconds": None,
    }


def test_healthz_refuses_post(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_heartbeat_task_records_one_row_per_worker_and_counts_beats():
    worker_heartbeat_task.apply()  # runs in-process whatever the broker setting
    worker_heartbeat_task.apply()

    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.hostname == socket.gethostname()
    assert heartbeat.beats == 2


def test_heartbeat_service_moves_seen_at_forward():
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    health.worker_heartbeat_record(hostname="celery@a", at=earlier)
    later = health.worker_heartbeat_record(hostname="celery@a")

    assert later.seen_at > earlier
    assert later.beats == 2
    assert WorkerHeartbeat.objects.count() == 1


def test_healthz_reports_the_latest_worker_heartbeat_and_its_age(client, settings):
    settings.CELERY_BROKER_URL = ""
    health.worker_heartbeat_record(hostname="celery@old", at=timezone.now() - datetime.timedelta(hours=2))
    health.worker_heartbeat_record(hostname="celery@new", at=timezone.now() - datetime.timedelta(seconds=30))

    response, body = _get_healthz(client)

    assert response.status_code == 200
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["hostname"] == "celery@new"
    assert 30 <= body["worker"]["age_seconds"] < settings.HEALTH_WORKER_MAX_AGE


def test_stale_worker_heartbeat_is_reported_but_keeps_the_site_healthy(client, settings):
    settings.CELERY_BROKER_URL = ""
    stale_for = settings.HEALTH_WORKER_MAX_AGE + 60
    health.worker_heartbeat_record(
        hostname="celery@w", at=timezone.now() - datetime.timedelta(seconds=stale_for)
    )

    response, body = _get_healthz(client)

    assert response.status_code == 200
    assert body["worker"]["status"] == "stale"
    assert body["worker"]["age_seconds"] >= stale_for


def test_healthz_answers_503_when_the_database_is_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response, body = _get_healthz(client)

    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["database"] == "down"
    assert body["worker"]["status"] == "unknown"


def test_broker_that_refuses_connections_makes_healthz_answer_503_without_hanging(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response, body = _get_healthz_in_thread(client)

    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["database"] == "ok"
    assert body["broker"] == "down"


def test_broker_that_accepts_but_never_answers_is_down_after_the_timeout(client, settings):
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"

        response, body = _get_healthz_in_thread(client)

    assert response.status_code == 503
    assert body["broker"] == "down"


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"), reason="CELERY_BROKER_URL is not set: no broker to ask"
)
def test_healthz_reports_a_running_broker_as_ok(client):
    response, body = _get_healthz(client)

    assert response.status_code == 200
    assert body["broker"] == "ok"


def test_beat_schedule_sends_the_heartbeat_every_minute_with_an_expiry():
    entry = PeriodicTask.objects.get(name="core.worker_heartbeat")

    assert entry.enabled
    assert entry.task == "core.tasks.worker_heartbeat_task"
    assert entry.task in celery_app.tasks
    assert (entry.interval.every, entry.interval.period) == (1, IntervalSchedule.MINUTES)
    assert 0 < entry.expire_seconds < 60


def test_healthcheck_command_prints_the_report_and_passes_when_healthy(settings):
    settings.CELERY_BROKER_URL = ""
    out = StringIO()

    call_command("healthcheck", stdout=out)

    assert '"database": "ok"' in out.getvalue()


def test_healthcheck_command_fails_when_the_broker_is_down(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    with pytest.raises(CommandError, match="broker=down"):
        call_command("healthcheck", stdout=StringIO())


def test_beat_healthcheck_needs_a_recent_heartbeat_run(settings):
    settings.CELERY_BROKER_URL = ""
    entry = PeriodicTask.objects.get(name="core.worker_heartbeat")

    with pytest.raises(CommandError, match="beat=stale"):
        call_command("healthcheck", "--beat", stdout=StringIO())  # beat never ran

    entry.last_run_at = timezone.now() - datetime.timedelta(hours=1)
    entry.save(update_fields=["last_run_at"])
    with pytest.raises(CommandError, match="beat=stale"):
        call_command("healthcheck", "--beat", stdout=StringIO())

    entry.last_run_at = timezone.now() - datetime.timedelta(seconds=90)
    entry.save(update_fields=["last_run_at"])
    out = StringIO()
    call_command("healthcheck", "--beat", stdout=out)
    assert '"beat": {"status": "ok"' in out.getvalue()
