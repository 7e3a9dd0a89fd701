"""When the incremental recompute runs: one queued run per burst of changes.

Used by the receiver (``receivers.on_records_changed`` schedules a run of the task) and by the task
(which releases the flag as it starts): the receiver imports the tasks and this module, the tasks
import this module, and this module imports neither (the task to queue is an argument).
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.broker import publish_quickly

from .models import RecomputeSchedule

logger = logging.getLogger(__name__)

# A burst of changes (an import, a busy morning) is coalesced into one run this many seconds later.
RECOMPUTE_COUNTDOWN = 5
# How long a queued run counts as "scheduled": after that a new change queues another one (a run
# lost with a broker or a worker is retried by the next change, and by the sweep every minute).
SCHEDULE_HOLD = datetime.timedelta(minutes=2)


def _claim_schedule() -> bool:
    """Set the "run scheduled" flag unless it is already set; True when this call set it."""
    now = timezone.now()
    RecomputeSchedule.objects.get_or_create(pk=1)
    claimed = (
        RecomputeSchedule.objects.filter(pk=1)
        .filter(Q(scheduled_until__isnull=True) | Q(scheduled_until__lt=now))
        .update(scheduled_until=now + SCHEDULE_HOLD)
    )
    return claimed == 1


def release_schedule() -> None:
    RecomputeSchedule.objects.filter(pk=1).update(scheduled_until=None)


def schedule_run(task) -> bool:
    """Queue ``task`` (the incremental run) after commit, once per burst. Never raises: a broker
    that is down or silent is logged, and the dirty rows wait for the next run."""
    try:
        if not _claim_schedule():
            return False
    except Exception:
        logger.exception("statistics: could not claim the recompute schedule")
        return False

    def enqueue():
        try:
            publish_quickly(task, countdown=RECOMPUTE_COUNTDOWN)
        except Exception:
            logger.exception("statistics: could not queue the incremental recompute; it stays pending")
            try:
                release_schedule()
            except Exception:
                logger.exception("statistics: could not release the recompute schedule")

    transaction.on_commit(enqueue)
    return True
