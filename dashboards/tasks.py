"""Celery tasks of the statistics engine. Thin: they call the engine, which is idempotent by state
(dirty rows, snapshot versions), so a repeated or redelivered task does no harm."""

import logging

from celery import shared_task

from . import engine
from .scheduling import release_schedule

logger = logging.getLogger(__name__)

FULL_RECOMPUTE_EXPIRES = 6 * 3600  # a nightly run that could not start within 6 hours is dropped


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_full_task() -> dict:
    """Recompute every year into a new snapshot version (nightly, and on demand)."""
    return engine.recompute_full()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_incremental_task() -> dict:
    """Recompute the cells of every pending dirty (unit, year) in one go."""
    # Changes arriving from now on queue a new run; this one takes every dirty row present.
    release_schedule()
    return engine.recompute_incremental()


# The sweep: beat sends it every minute (``dashboards.sweep_dirty``, created by a migration) and every
# worker sends one when it starts (``dashboards.signals``). A message older than this is dropped.
SWEEP_EXPIRES = 55


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, expires=SWEEP_EXPIRES)
def sweep_dirty_task() -> dict:
    """Recompute whatever is still dirty: changes whose queued run was lost (the broker was down or
    frozen when they were saved, a worker died) and units whose build failed. Does nothing when
    nothing is dirty, so figures catch up within a minute or so of the broker coming back,
    without anyone editing."""
    from .models import DirtyCell

    if not DirtyCell.objects.exists():
        return {"kind": "none"}
    return recompute_incremental_task()


def sweep_at_worker_start(sender=None, **kwargs) -> None:
    """``worker_ready`` receiver: queue one sweep as the worker starts, so that changes saved while
    the broker or every worker was down are recomputed without waiting for beat or an edit."""
    try:
        sweep_dirty_task.apply_async()
    except Exception:
        logger.exception("statistics: could not queue the sweep at worker start")
