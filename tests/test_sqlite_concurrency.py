"""The embedded default (a SQLite file) takes concurrent writers: every save succeeds, none is lost.

The in-memory test database cannot show lock contention, so these tests migrate a SQLite file in a
temporary folder, start a real server on it (``runserver`` as ``make run`` does, and gunicorn with
several processes and threads), and fire concurrent saves through the API with two unit users'
tokens. Each save also queues the statistics recompute, which runs eagerly (no broker) right after
the save commits, inside the request, so the recompute of one request competes for the write lock
with the saves of the others.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from .processes import BASE_DIR, BIN_DIR, free_port, process_env, running

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite only: lock contention of the embedded default (this run uses another database)",
)

USERS = 2
RECORDS_PER_USER = 10  # one writer thread per record: 20 concurrent writers
EDITS_PER_RECORD = 3  # each writer saves its record this many times in a row

SETUP = """
import json
import django

django.setup()
from django.core.management import call_command

from accounts.services import api_token_create, user_create_unit_user
from tests.factories import AchievementFactory, TransformationFactory, UnitFactory

call_command("migrate", verbosity=0)
# the demo registry, so that each save's recompute has a realistic amount of work to do
call_command("seed_demo", no_logins=True, verbosity=0)
users = []
for i in range({users}):
    unit = UnitFactory()
    user = user_create_unit_user(username=f"writer{{i}}", password="pass-for-tests-1", unit=unit)
    _, key = api_token_create(user=user, name="concurrency test")
    records = [AchievementFactory(unit=unit) for _ in range({records})]
    for record in records[:3]:
        TransformationFactory(achievement=record)
    users.append({{"key": key, "ids": [r.pk for r in records]}})
call_command("recompute_stats", verbosity=0)
print(json.dumps(users))
"""


def _sqlite_env(db_path: Path, **extra: str) -> dict[str, str]:
    env = process_env(f"sqlite:///{db_path}", **extra)
    for name in ("CELERY_BROKER_URL", "CACHE_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)  # the embedded default: eager tasks, a cache per process
    return env


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A migrated SQLite file with the demo registry, two unit users with tokens and their records."""
    db_path = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", SETUP.format(users=USERS, records=RECORDS_PER_USER)],
        cwd=BASE_DIR,
        env=_sqlite_env(db_path, DJANGO_SETTINGS_MODULE="liaoning_tt.settings"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return db_path, json.loads(result.stdout.strip().splitlines()[-1])


def _copy(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def _call(method: str, url: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        try:
            return exc.code, json.loads(text)
        except ValueError:
            return exc.code, {"body": text[:500]}


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "healthz/", timeout=2) as response:
            return response.status in (200, 503)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _fire_concurrent_saves(base: str, users: list[dict]) -> list[tuple[int, int, int, dict]]:
    """One thread per record, all released at once; each reads its record and saves it repeatedly."""
    writers = [(user["key"], record_id) for user in users for record_id in user["ids"]]
    barrier = threading.Barrier(len(writers))
    outcomes: list[tuple[int, int, int, dict]] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def write(key: str, record_id: int) -> None:
        url = f"{base}api/v1/achievements/{record_id}/"
        status, record = _call("GET", url, key)
        assert status == 200, record
        version = record["version"]
        barrier.wait(timeout=60)
        for edit in range(1, EDITS_PER_RECORD + 1):
            sent = time.monotonic()
            status, body = _call(
                "PATCH", url, key, {"version": version, "title": f"并发修改 {record_id} 第{edit}次"}
            )
            with lock:
                outcomes.append((record_id, edit, status, body))
                latencies.append(time.monotonic() - sent)
            if status != 200:
                return
            version = body["version"]

    threads = [threading.Thread(target=write, args=writer) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    if latencies:
        print(f"save latency: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s")
    return outcomes


def _assert_all_stored(db_path: Path, users: list[dict], outcomes, log: str) -> None:
    failures = [(rid, edit, status, body) for rid, edit, status, body in outcomes if status != 200]
    assert not failures, f"{len(failures)} save(s) failed, e.g. {failures[:3]}\n{log[-3000:]}"
    assert len(outcomes) == USERS * RECORDS_PER_USER * EDITS_PER_RECORD
    assert "database is locked" not in log

    ids = [record_id for user in users for record_id in user["ids"]]
    with sqlite3.connect(db_path) as db:
        rows = dict(
            (row[0], row[1:])
            for row in db.execute(
                f"SELECT id, version, title FROM achievements_achievement WHERE id IN ({','.join('?' * len(ids))})",
                ids,
            )
        )
        history = dict(
            db.execute(
                "SELECT id, COUNT(*) FROM achievements_historicalachievement "
                f"WHERE id IN ({','.join('?' * len(ids))}) AND history_type = '~' GROUP BY id",
                ids,
            ).fetchall()
        )
        pending = db.execute("SELECT COUNT(*) FROM dashboards_dirtycell").fetchone()[0]
    for record_id in ids:
        version, title = rows[record_id]
        assert version == 1 + EDITS_PER_RECORD, (record_id, version)
        assert title == f"并发修改 {record_id} 第{EDITS_PER_RECORD}次"
        assert history.get(record_id) == EDITS_PER_RECORD, (record_id, history.get(record_id))
    # every save's recompute ran (eagerly, in its request): nothing is left waiting
    assert pending == 0


def _serve_and_fire(prepared, tmp_path: Path, argv_for_port, **env_extra: str) -> None:
    db_path, users = _copy(prepared[0], tmp_path / "db.sqlite3"), prepared[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = _sqlite_env(db_path, **env_extra)
    with running(argv_for_port(port), env, tmp_path / "server.log") as server:
        server.wait_for(lambda: _up(base), "the server to answer", timeout=90)
        started = time.monotonic()
        outcomes = _fire_concurrent_saves(base, users)
        elapsed = time.monotonic() - started
        log = server.log()
    recomputes = log.count("statistics: incremental recompute")
    print(f"{len(outcomes)} concurrent saves in {elapsed:.1f} s, {recomputes} incremental recomputes")
    _assert_all_stored(db_path, users, outcomes, log)


def test_concurrent_saves_under_runserver_all_succeed(prepared, tmp_path):
    """``make run``'s server (threaded runserver) on a SQLite file: 20 writers × 3 saves, no 500."""
    _serve_and_fire(
        prepared,
        tmp_path,
        lambda port: [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
    )


def test_concurrent_saves_under_gunicorn_processes_and_threads_all_succeed(prepared, tmp_path):
    """Two gunicorn processes with threads on one SQLite file (writers in different processes)."""
    gunicorn = str(BIN_DIR / "gunicorn") if (BIN_DIR / "gunicorn").exists() else "gunicorn"
    _serve_and_fire(
        prepared,
        tmp_path,
        lambda port: [
            gunicorn,
            "liaoning_tt.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--timeout",
            "120",
        ],
        GUNICORN_CMD_ARGS="",
        PYTHONPATH=os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
    )
