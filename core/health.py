"""Health of the running system: the database, the Celery broker and the workers' heartbeat.

- ``worker_heartbeat_record`` is the write (a service): the periodic ``worker_heartbeat_task`` calls it.
- ``health_report`` is the read: ``/healthz/`` (``healthz`` view) and ``manage.py healthcheck`` use it.

The report is cheap and bounded in time: the broker is asked with a short connect/socket timeout
(``HEALTH_BROKER_TIMEOUT`` seconds), so a broker that is down or does not answer never hangs a request.
"""

from __future__ import annotations

import datetime
import logging
import socket
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import WorkerHeartbeat
from .registry import health_checks

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"
UNCONFIGURED = "unconfigured"
STALE = "stale"
UNKNOWN = "unknown"


@transaction.atomic
def worker_heartbeat_record(*, hostname: str, at: datetime.datetime | None = None) -> WorkerHeartbeat:
    """Record that ``hostname``'s worker is alive at ``at`` (now by default): one row per host."""
    at = at or timezone.now()
    hostname = (hostname or socket.gethostname())[:255]
    heartbeat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        hostname=hostname, defaults={"seen_at": at, "beats": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(seen_at=at, beats=F("beats") + 1)
        heartbeat.refresh_from_db()
    return heartbeat


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return DOWN
    return OK


def check_broker(url: str | None = None, timeout: float | None = None) -> str:
    """``ok`` if the broker accepts a connection within ``timeout`` seconds, ``unconfigured`` if none is set."""
    url = settings.CELERY_BROKER_URL if url is None else url
    if not url:
        return UNCONFIGURED
    timeout = settings.HEALTH_BROKER_TIMEOUT if timeout is None else timeout
    from kombu import Connection

    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    try:
        with Connection(url, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception:  # any transport error means the same to an operator: the broker is not usable
        logger.warning("Health check: the broker at %s does not answer", _redact(url), exc_info=True)
        return DOWN
    return OK


def _redact(url: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


@dataclass(frozen=True)
class WorkerState:
    status: str  # ok, stale or unknown (no heartbeat recorded yet)
    hostname: str | None = None
    last_heartbeat: str | None = None
    age_seconds: int | None = None


def check_worker(now: datetime.datetime | None = None) -> WorkerState:
    """The most recent heartbeat of any worker and how old it is (in whole seconds)."""
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if latest is None:
        return WorkerState(status=UNKNOWN)
    now = now or timezone.now()
    age = max(0, int((now - latest.seen_at).total_seconds()))
    return WorkerState(
        status=OK if age <= settings.HEALTH_WORKER_MAX_AGE else STALE,
        hostname=latest.hostname,
        last_heartbeat=latest.seen_at.isoformat(),
        age_seconds=age,
    )


def health_report() -> dict:
    """The JSON body of ``/healthz/``. ``healthy`` is false when the database or a configured broker is down.

    A missing or stale worker heartbeat is reported but does not make the site unhealthy: the pages
    still work without a worker, and the worker has its own health check.
    """
    database = check_database()
    broker = check_broker()
    if database == OK:
        try:
            worker = asdict(check_worker())
        except DatabaseError:
            logger.exception("Health check: cannot read the worker heartbeat")
            worker = asdict(WorkerState(status=UNKNOWN))
    else:
        worker = asdict(WorkerState(status=UNKNOWN))
    healthy = database == OK and broker != DOWN
    return {
        "status": OK if healthy else DOWN,
        "database": database,
        "broker": broker,
        "worker": worker,
        **{
            check.name: run_check(check) if database == OK else {"status": UNKNOWN}
            for check in health_checks()
        },
        "time": timezone.now().isoformat(),
    }


def run_check(check) -> dict:
    """One part an app registered (``core.registry.HealthCheck``; the statistics app's: whether every
    unit's figures could be built, and what waits for a recompute).

    Reported, but does not make the site unhealthy: e.g. the pages work, a failing unit's figures
    stay as they were (shown as stale), and the other units' figures are current.
    """
    try:
        return check.run()
    except DatabaseError:
        logger.exception("Health check: cannot read %s", check.name)
        return {"status": UNKNOWN}


@never_cache
@require_GET
def healthz(request):
    """``GET /healthz/``: 200 with ``status: ok`` when healthy, 503 otherwise. No login needed."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == OK else 503)
