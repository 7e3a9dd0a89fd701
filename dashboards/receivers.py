"""Reaction to registry changes: mark the changed cells dirty, then queue one recompute run."""

import logging

from django.db import transaction

from .engine import mark_dirty
from .scheduling import schedule_run
from .tasks import recompute_incremental_task

logger = logging.getLogger(__name__)


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


def schedule_incremental() -> bool:
    """Queue one incremental recompute after commit (``scheduling``: once per burst, never raises)."""
    return schedule_run(recompute_incremental_task)
