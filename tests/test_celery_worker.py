"""A real Celery worker, started with the compose file's worker command, runs a task sent through Redis.

Runs when CELERY_BROKER_URL is set (CI's PostgreSQL run); the worker's DATABASE_URL points at the
test database pytest-django created, so the test sees what the worker wrote.
"""

import os
import uuid

import pytest
from django.urls import reverse
from kombu import pools as kombu_pools

from core.models import WorkerHeartbeat
from core.tasks import worker_heartbeat_task
from liaoning_tt.celery import app as celery_app

from .processes import compose_command, local_argv, process_env, running, subprocess_database_url

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"),
        reason="CELERY_BROKER_URL is not set: a real worker needs a broker (runs in CI's PostgreSQL run)",
    ),
    # the worker commits in its own connection: the test must not run inside a transaction
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TASK_TIMEOUT = 60


def _ping(nodename: str) -> bool:
    replies = celery_app.control.ping(destination=[nodename], timeout=0.5)
    return any(nodename in reply for reply in replies)


def _reset_broker_pools() -> None:
    """Fresh connection and producer pools, whatever earlier tests did to the shared ones."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def fresh_broker_pools():
    _reset_broker_pools()
    yield
    _reset_broker_pools()


@pytest.fixture
def celery_worker(tmp_path):
    """A ``celery worker`` subprocess on the default queue, ready to take tasks; stopped afterwards."""
    queue = celery_app.conf.task_default_queue
    nodename = f"lntt-test-{uuid.uuid4().hex[:8]}@localhost"
    env = process_env(subprocess_database_url(), CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"])
    argv = local_argv(compose_command("worker")) + [
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "--hostname",
        nodename,
        "--without-gossip",
        "--without-mingle",
    ]
    _reset_broker_pools()
    celery_app.control.purge()  # nothing left over from earlier runs or from beat

    with running(argv, env, tmp_path / "worker.log") as worker:
        worker.wait_for(lambda: _ping(nodename), "the worker to answer ping", timeout=60)
        worker.nodename = nodename
        yield worker

    _reset_broker_pools()
    log = worker.log()
    assert "Traceback" not in log, log
    assert worker.popen.returncode is not None


def test_worker_runs_the_heartbeat_task_sent_through_the_broker(celery_worker, client):
    worker_heartbeat_task.delay()

    celery_worker.wait_for(
        lambda: WorkerHeartbeat.objects.filter(hostname=celery_worker.nodename).exists(),
        "the heartbeat row written by the worker",
        timeout=TASK_TIMEOUT,
    )
    worker_heartbeat_task.delay()
    celery_worker.wait_for(
        lambda: WorkerHeartbeat.objects.get(hostname=celery_worker.nodename).beats == 2,
        "the second heartbeat",
        timeout=TASK_TIMEOUT,
    )

    assert "Task core.tasks.worker_heartbeat_task[" in celery_worker.log()
    body = client.get(reverse("healthz")).json()
    assert body["broker"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["hostname"] == celery_worker.nodename
