"""Reaction to registry changes: mark the changed cells dirty, then queue one recompute run."""

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.broker import publish_quickly

from .engine import mark_dirty
from .models import RecomputeSchedule

logger = logging.getLogger(__name__)

# A burst of changes (an import, a busy morning) is coalesced into one run this many seconds later.
RECOMPUTE_COUNTDOWN = 5
# How long a queued run counts as "scheduled": after that a new change queues another one (a run
# lost with a broker or a worker is retried by the next change, and by the sweep every minute).
SCHEDULE_HOLD = datetime.timedelta(minutes=2)


def on_records_changed(sender, *, unit_ids, years, cells=None, **kwargs) -> None:
    """Receiver of ``achievements.signals.records_changed`` (sent after commit by
    ``achievements.services.announce_change``): ``cells`` maps each unit to its changed years."""
    if cells is None:
        cells = {unit_id: frozenset(years) for unit_id in unit_ids}
    try:
        with transaction.atomic():
            by_years: dict[frozenset, list[int]] = {}
            for unit_id, unit_years in cells.items():
                by_years.setdefault(frozenset(unit_years), []).append(unit_id)
            for unit_years, ids in by_years.items():
                mark_dirty(unit_ids=ids, years=unit_years)
    except Exception:  # the change itself is committed; never fail the caller's request
        logger.exception("statistics: could not record changed units %s", sorted(unit_ids))
        return
    schedule_incremental()


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


def schedule_incremental() -> bool:
    """Queue the incremental run after commit, once per burst. Never raises: a broker that is down
    or silent is logged, and the dirty rows wait for the next run."""
    from .tasks import recompute_incremental_task

    try:
        if not _claim_schedule():
            return False
    except Exception:
        logger.exception("statistics: could not claim the recompute schedule")
        return False

    def enqueue():
        try:
            publish_quickly(recompute_incremental_task, countdown=RECOMPUTE_COUNTDOWN)
        except Exception:
            logger.exception("statistics: could not queue the incremental recompute; it stays pending")
            try:
                release_schedule()
            except Exception:
                logger.exception("statistics: could not release the recompute schedule")

    transaction.on_commit(enqueue)
    return True
