"""Faults degrade, never 500: the cache and the broker (Redis) stopped or frozen.

The first tests need no Redis (they run in every suite): the degrading cache backend against a
closed port and a silent socket, the bounded publish, and the sweep's schedule. The last one runs
when CELERY_BROKER_URL is set (CI's PostgreSQL + Redis run): it starts a redis-server of its own on
a free port, points the cache and the broker at it, kills it and then freezes it (SIGSTOP), and
checks that every page and the login answer within 2 s, a save within 1 s with its dirty rows kept,
and that once Redis is back a real worker's start-up sweep drains them without anyone editing.
The time bounds are the ones the issue sets for these faults; nothing else here measures time.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.core.cache import caches
from django_celery_beat.models import PeriodicTask
from kombu import pools as kombu_pools

from accounts.services import user_create_staff
from core import cache as degrading
from core.broker import publish_quickly
from core.cache import DegradingRedisCache
from dashboards import current, engine
from dashboards.models import DirtyCell
from dashboards.selectors import Scope, stats_summary
from dashboards.tasks import sweep_dirty_task
from liaoning_tt.celery import app as celery_app

from .factories import AchievementFactory, TransformationFactory
from .processes import compose_command, local_argv, process_env, running, subprocess_database_url
from .test_stats_tasks import silent_broker  # noqa: F401  (fixture)

PAGE_BOUND = 2.0  # seconds: every page and the login, with Redis stopped or frozen (the bound)
SAVE_BOUND = 1.0  # seconds: a save that queues its recompute (the bound)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fresh_breaker():
    degrading._Breaker.reset()
    yield
    degrading._Breaker.reset()


def _cache(url: str) -> DegradingRedisCache:
    return DegradingRedisCache(url, {})


def _timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


# --- without Redis: the pieces --------------------------------------------------------------------


def test_redis_cache_urls_get_the_degrading_backend():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {
        **os.environ,
        "CACHE_URL": "redis://127.0.0.1:6399/1",
        "DJANGO_SETTINGS_MODULE": "liaoning_tt.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert out.stdout.strip() == "core.cache.DegradingRedisCache"


@pytest.mark.parametrize("where", ["closed port", "silent server"])
def test_the_cache_answers_as_empty_when_redis_is_down_or_silent(where, silent_broker, fresh_breaker):  # noqa: F811
    url = f"redis://127.0.0.1:{_closed_port()}/1" if where == "closed port" else silent_broker[0]
    cache = _cache(url)
    (value, first) = _timed(lambda: cache.get("k", "default"))
    assert value == "default"
    assert cache.set("k", 1) is None and cache.add("k", 1) is False and cache.get_many(["k"]) == {}
    assert cache.get_or_set("k", 7) == 7
    with pytest.raises(ValueError):
        cache.incr("k")
    # After the first failure the cache is skipped: later calls do not wait at all.
    (_, later) = _timed(lambda: [cache.get(f"k{n}") for n in range(50)])
    assert first < PAGE_BOUND and later < degrading.SOCKET_TIMEOUT


def test_the_cache_is_used_again_after_the_pause(silent_broker, fresh_breaker, monkeypatch):  # noqa: F811
    cache = _cache(silent_broker[0])
    cache.get("k")
    assert degrading._Breaker.open()
    monkeypatch.setattr(degrading._Breaker, "down_until", time.monotonic() - 1)
    assert not degrading._Breaker.open()


@pytest.fixture
def broker(silent_broker):  # noqa: F811
    """The Celery app pointed at the silent server (not eager) for the test; restored afterwards."""
    saved = {k: getattr(celery_app.conf, k) for k in ("broker_url", "broker_write_url", "task_always_eager")}

    def point(url):
        kombu_pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.broker_url = celery_app.conf.broker_write_url = url
        celery_app.conf.task_always_eager = False

    yield point
    point(saved["broker_url"])
    for name, value in saved.items():
        setattr(celery_app.conf, name, value)


def test_a_publish_to_a_frozen_or_stopped_broker_fails_within_the_save_bound(broker, silent_broker):  # noqa: F811
    for url in (silent_broker[0], f"redis://127.0.0.1:{_closed_port()}/0"):
        broker(url)
        start = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 - any transport error
            publish_quickly(sweep_dirty_task, countdown=5)
        assert time.monotonic() - start < SAVE_BOUND, url


@pytest.mark.django_db
def test_the_sweep_runs_every_minute_and_expires(django_db_setup):
    task = PeriodicTask.objects.get(name="dashboards.sweep_dirty")
    assert task.task == "dashboards.tasks.sweep_dirty_task" and task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")
    assert 0 < task.expire_seconds <= 60


def test_a_starting_worker_queues_a_sweep():
    from unittest import mock

    from celery.signals import worker_ready

    with mock.patch.object(sweep_dirty_task, "apply_async") as apply_async:
        worker_ready.send(sender=None)
    apply_async.assert_called_once()


# --- with a real Redis of our own: stopped, frozen, back -----------------------------------------


class OwnRedis:
    """A redis-server on its own port (6391-6394 if free, else any), started and stopped by the test."""

    def __init__(self, tmp_path):
        self.port = self._port()
        self.tmp_path = tmp_path
        self.popen = None

    @staticmethod
    def _port() -> int:
        for port in range(6391, 6395):
            with socket.socket() as s, contextlib.suppress(OSError):
                s.bind(("127.0.0.1", port))
                return port
        return _closed_port()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        argv = [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.tmp_path)]
        self.popen = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        pytest.fail("redis-server did not start")

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait(timeout=10)

    def freeze(self) -> None:
        os.kill(self.popen.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.popen.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.thaw()
            self.kill()


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.close()


def _assert_degraded_but_answering(client, staff, achievement, convertible: bool) -> None:
    degrading._Breaker.reset()  # the cache is really asked, not skipped from an earlier failure
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pages = ["/", "/accounts/login/", "/achievements/", f"/achievements/{achievement.pk}/", "/contracts/"]
    pages += ["/dashboard/", "/api/v1/stats/summary/?year=2023"]
    client.logout()
    for path in ["/accounts/login/"]:
        response, elapsed = _timed(lambda p=path: client.get(p))
        assert response.status_code == 200 and elapsed < PAGE_BOUND, (path, response.status_code, elapsed)
    response, elapsed = _timed(
        lambda: client.post("/accounts/login/", {"username": "staff", "password": "pass-for-tests-1"})
    )
    assert response.status_code == 302 and elapsed < PAGE_BOUND, ("login", response.status_code, elapsed)
    for path in pages:
        response, elapsed = _timed(lambda p=path: client.get(p))
        assert response.status_code == 200 and elapsed < PAGE_BOUND, (path, response.status_code, elapsed)
    achievement.refresh_from_db()
    response, elapsed = _timed(
        lambda: client.post(
            f"/achievements/{achievement.pk}/convertible/",
            {"version": achievement.version, "convertible": "1" if convertible else "0"},
        )
    )
    assert response.status_code == 302 and elapsed < SAVE_BOUND, ("save", response.status_code, elapsed)
    achievement.refresh_from_db()
    assert achievement.convertible is convertible
    assert DirtyCell.objects.filter(unit_id=achievement.unit_id).exists(), "the recompute is kept"


@pytest.mark.celery_worker
@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="CELERY_BROKER_URL is not set: the Redis fault test runs in CI's PostgreSQL + Redis run",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_stopped_or_frozen_pages_answer_saves_return_and_the_sweep_catches_up(
    own_redis, settings, client, tmp_path, broker
):
    settings.CACHES = {"default": {"BACKEND": "core.cache.DegradingRedisCache", "LOCATION": own_redis.url(1)}}
    broker(own_redis.url(0))
    staff = user_create_staff(username="staff", password="pass-for-tests-1")
    achievement = AchievementFactory(convertible=False)
    TransformationFactory(achievement=achievement)
    engine.recompute_full()
    year = achievement.registered_on.year
    scope = Scope(unit=achievement.unit.code)
    assert caches["default"].set("probe", 1) is None and caches["default"].get("probe") == 1  # Redis is used
    client.force_login(staff)
    for path in ("/", "/achievements/", "/contracts/", "/dashboard/"):  # a running site is warm
        assert client.get(path).status_code == 200

    own_redis.kill()
    _assert_degraded_but_answering(client, staff, achievement, convertible=True)

    own_redis.start()
    own_redis.freeze()
    try:
        _assert_degraded_but_answering(client, staff, achievement, convertible=False)
        _assert_degraded_but_answering(client, staff, achievement, convertible=True)
    finally:
        own_redis.thaw()
    assert stats_summary(year=year, scope=scope)["convertible"] == 0, "not recomputed yet"

    # Redis is back: a worker starting now sweeps the dirty rows, nobody edits anything.
    nodename = f"lntt-sweep-{uuid.uuid4().hex[:8]}@localhost"
    env = process_env(
        subprocess_database_url(), CELERY_BROKER_URL=own_redis.url(0), CACHE_URL=own_redis.url(1)
    )
    argv = local_argv(compose_command("worker")) + ["--pool=solo", "--hostname", nodename]
    argv += ["--without-gossip", "--without-mingle"]
    with running(argv, env, tmp_path / "worker.log") as worker:
        worker.wait_for(
            lambda: not DirtyCell.objects.exists(), "the start-up sweep to drain the dirty rows", 120
        )
    assert "sweep_dirty_task" in worker.log()
    current.forget()
    assert stats_summary(year=year, scope=scope)["convertible"] == 1
