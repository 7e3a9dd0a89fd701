"""Background tasks of the core app. Tasks are thin: they call a service and are safe to repeat."""

import socket

from celery import shared_task

from .health import worker_heartbeat_record

HEARTBEAT_EXPIRES = 50  # seconds; beat sends one a minute, an older one is worthless


@shared_task(bind=True, ignore_result=True, expires=HEARTBEAT_EXPIRES)
def worker_heartbeat_task(self) -> None:
    """Record that this worker is alive (scheduled every minute by the beat schedule in the database)."""
    worker_heartbeat_record(hostname=self.request.hostname or socket.gethostname())
