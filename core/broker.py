"""Queueing a Celery task from a request without ever waiting long for the broker.

``publish_quickly`` is the one way the request path queues work (today: the statistics recompute
after a save). It opens its own connection with short timeouts (``CELERY_PUBLISH_TIMEOUT``) and
publishes once, without retries: a broker that is down fails at once, a frozen one within about
two timeouts. It raises on failure; callers keep the work durable elsewhere (``DirtyCell`` rows)
and log. Workers and beat keep the longer broker settings.
"""

from __future__ import annotations

from django.conf import settings


def publish_quickly(task, **options) -> None:
    """``task.apply_async(**options)``, bounded in time; raises when the broker does not take it."""
    app = task.app
    if app.conf.task_always_eager:
        task.apply_async(**options)  # no broker: runs in-process
        return
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    transport_options = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "max_retries": 0,
        "interval_start": 0,
        "interval_step": 0,
        "interval_max": 0,
        "connect_retries_timeout": timeout,
        "health_check_interval": 0,
    }
    with app.connection_for_write(connect_timeout=timeout, transport_options=transport_options) as conn:
        task.apply_async(connection=conn, retry=False, **options)
