"""A real Celery worker killed with SIGKILL in the middle of a statistics recompute.

Runs when CELERY_BROKER_URL is set and the tests run on PostgreSQL (CI's PostgreSQL + Redis run).
The recompute is held half-way by row locks taken by the test, the worker is killed, and the
previous snapshot must still answer; the next run then completes.
"""

import datetime
import os
import signal
from decimal import Decimal

import pytest
from django.db import connection, transaction

from achievements.models import Transformation
from dashboards import engine
from dashboards.models import DirtyCell, SnapshotState, StatCell
from dashboards.selectors import Scope, stats_summary
from dashboards.tasks import recompute_incremental_task

from .factories import AchievementFactory, TransformationFactory, UnitFactory
from .test_celery_worker import celery_worker, fresh_broker_pools  # noqa: F401  (the real-worker fixtures)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"),
        reason="CELERY_BROKER_URL is not set: a real worker needs a broker (runs in CI's PostgreSQL run)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _blocked_recompute_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is a snapshot per transaction
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock' AND query LIKE %s",
            ["%dashboards_statcell%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_worker_killed_mid_recompute_leaves_the_previous_snapshot_and_the_next_run_completes(
    celery_worker,  # noqa: F811
):
    unit = UnitFactory()
    contract = TransformationFactory(
        achievement=AchievementFactory(unit=unit, registered_on=datetime.date(2022, 1, 1)),
        signed_on=datetime.date(2023, 5, 1),
        amount=Decimal("100.00"),
    )
    engine.recompute_full()
    before = SnapshotState.objects.get(pk=1)
    cells_before = StatCell.objects.filter(version=before.version).count()
    Transformation.objects.filter(pk=contract.pk).update(amount=Decimal("250.00"))
    engine.mark_dirty(unit_ids=[unit.pk], years=[2023])

    with transaction.atomic():
        # The run's replacement of this unit's cells waits behind these row locks; readers do not.
        list(StatCell.objects.select_for_update().filter(version=before.version, unit_id=unit.pk))
        recompute_incremental_task.delay()
        celery_worker.wait_for(
            lambda: bool(_blocked_recompute_pids()), "the recompute to reach its writes", timeout=120
        )
        pids = _blocked_recompute_pids()
        os.killpg(celery_worker.popen.pid, signal.SIGKILL)
        celery_worker.popen.wait(timeout=30)
        with connection.cursor() as cursor:  # the dead worker's server process goes too
            for pid in pids:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    state = SnapshotState.objects.get(pk=1)
    assert (state.version, state.revision) == (before.version, before.revision)
    assert StatCell.objects.filter(version=before.version).count() == cells_before
    assert stats_summary(year=2023, scope=Scope())["amount"] == "100.00"
    assert DirtyCell.objects.filter(unit_id=unit.pk).exists(), "the pending change is not lost"

    result = engine.recompute_incremental()  # the next run
    assert result["kind"] == "incremental"
    assert stats_summary(year=2023, scope=Scope())["amount"] == "250.00"
    assert not DirtyCell.objects.exists()
