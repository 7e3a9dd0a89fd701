"""The statistics job: dirty tracking, coalescing, incremental = full, atomic switch, failures.

Broker failures: a refused connection (a closed port) and a silent one (a socket server that
accepts and never answers) must not hang or fail a save; the change stays pending in the database.
"""

import datetime
import socket
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django_celery_beat.models import PeriodicTask
from kombu import pools as kombu_pools

from achievements import services
from achievements.models import Achievement, Transformation
from dashboards import engine, receivers, scheduling
from dashboards.models import DirtyCell, RecomputeSchedule, SnapshotState, StatCell
from dashboards.selectors import Scope, snapshot_status, stats_summary
from liaoning_tt.celery import app as celery_app

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory, cluster

D = datetime.date
SAVE_BOUND = 30  # seconds: a generous bound for a save while the broker is down or silent


def snapshot_cells():
    """The current snapshot's figures per cell, whatever the row layout."""
    version = SnapshotState.objects.get(pk=1).version
    rows = (
        StatCell.objects.filter(version=version)
        .values("grain", "year", "unit_id", "unit_type", "region", "city", "cluster_id", "dim")
        .annotate(
            *[],
            s_achievements=Sum("achievements"),
            s_convertible=Sum("convertible"),
            s_transformed_by=Sum("transformed_by"),
            s_transformed=Sum("transformed"),
            s_contracts=Sum("contracts"),
            s_local_contracts=Sum("local_contracts"),
            s_amount=Sum("amount"),
            s_received=Sum("received"),
            s_local_amount=Sum("local_amount"),
        )
        .order_by()
    )
    return {tuple(r[k] for k in ("grain", "year", "unit_id", "cluster_id", "dim")): r for r in rows}


@pytest.fixture
def world(db, staff_user):
    unit, other = UnitFactory(), UnitFactory(type="institute", region="210200")
    old = AchievementFactory(unit=unit, registered_on=D(2020, 4, 1), cluster=cluster("A01"), trl=4)
    late = AchievementFactory(unit=unit, registered_on=D(2023, 2, 1), cluster=cluster("A02"))
    theirs = AchievementFactory(unit=other, registered_on=D(2021, 7, 1))
    c1 = TransformationFactory(achievement=old, signed_on=D(2021, 12, 31), amount=Decimal("500.00"))
    c2 = TransformationFactory(
        achievement=late, signed_on=D(2019, 6, 1), amount=Decimal("70.00")
    )  # before registration
    TransformationFactory(achievement=theirs, signed_on=D(2022, 1, 1), amount=Decimal("10.00"))
    engine.recompute_full()
    return {
        "unit": unit,
        "other": other,
        "old": old,
        "late": late,
        "theirs": theirs,
        "c1": c1,
        "c2": c2,
        "user": staff_user,
    }


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run in-process here (also when the suite runs with a broker configured)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


CHANGES = {
    "new contract in an old year": lambda w: services.transformation_create(
        acting_user=w["user"],
        achievement=w["old"],
        ref="NEW-1",
        mode="license",
        transferee=TransfereeFactory(region="110108"),
        signed_on=D(2020, 1, 1),
        amount=Decimal("42.00"),
    ),
    "contract cancelled": lambda w: services.transformation_cancel(
        contract=w["c1"], acting_user=w["user"], reason="协商解除"
    ),
    "contract moved to another year": lambda w: services.transformation_update(
        contract=w["c1"], acting_user=w["user"], signed_on=D(2024, 1, 1)
    ),
    "achievement withdrawn": lambda w: services.achievement_withdraw(
        achievement=w["old"], acting_user=w["user"], on=D(2022, 12, 31), reason="重复登记"
    ),
    "cluster changed, contract older than registration": lambda w: services.achievement_update(
        achievement=w["late"], acting_user=w["user"], cluster=cluster("B01")
    ),
    "convertible flag cleared": lambda w: services.achievement_set_convertible(
        achievement=w["old"], acting_user=w["user"], convertible=False
    ),
    "unit moved to another city": lambda w: services.unit_update(
        unit=w["unit"], acting_user=w["user"], region="210300"
    ),
    "duplicates merged": lambda w: services.achievement_merge(
        keep=w["late"], duplicate=w["old"], acting_user=w["user"], reason="重复登记"
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_incremental_recompute_gives_the_same_snapshot_as_a_full_one(
    world, change, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        CHANGES[change](world)
    assert not DirtyCell.objects.exists(), "the change was recomputed incrementally (eager tasks)"
    incremental = snapshot_cells()
    engine.recompute_full()
    assert snapshot_cells() == incremental


def test_a_change_marks_cells_dirty_and_the_run_clears_them(world, django_capture_on_commit_callbacks):
    before = stats_summary(year=2020, scope=Scope())["contracts"]
    with mock.patch.object(receivers, "schedule_incremental") as schedule:
        with django_capture_on_commit_callbacks(execute=True):
            CHANGES["new contract in an old year"](world)
    assert schedule.call_count == 1
    assert set(DirtyCell.objects.values_list("unit_id", "year")) == {(world["unit"].pk, 2020)}
    assert snapshot_status()["stale"] is True
    assert stats_summary(year=2020, scope=Scope())["contracts"] == before  # not yet recomputed
    result = engine.recompute_incremental()
    assert result["kind"] == "incremental" and result["units"] == [world["unit"].pk]
    assert snapshot_status()["stale"] is False
    assert stats_summary(year=2020, scope=Scope())["contracts"] == before + 1


def test_a_burst_of_changes_queues_one_run(world, django_capture_on_commit_callbacks):
    with mock.patch("dashboards.tasks.recompute_incremental_task.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(5):
                services.transformation_create(
                    acting_user=world["user"],
                    achievement=world["theirs"],
                    ref=f"BURST-{n}",
                    mode="transfer",
                    transferee=TransfereeFactory(),
                    signed_on=D(2023, 3, n + 1),
                    amount=Decimal("1.00"),
                )
    assert apply_async.call_count == 1
    assert apply_async.call_args.kwargs["countdown"] == scheduling.RECOMPUTE_COUNTDOWN
    assert DirtyCell.objects.count() == 5
    assert snapshot_status()["pending"] is True
    # The run takes every pending row in one go.
    from dashboards.tasks import recompute_incremental_task

    recompute_incremental_task.apply()
    assert not DirtyCell.objects.exists() and snapshot_status()["pending"] is False


def test_the_affected_years_run_from_the_change_to_now_and_reach_back_to_older_contracts(world):
    starts = engine._affected_years([(world["unit"].pk, 2023), (world["other"].pk, 2022)], first_year=2019)
    assert starts == {world["unit"].pk: 2019, world["other"].pk: 2022}  # "late" has a 2019 contract
    assert engine._affected_years([(world["other"].pk, None)], first_year=2019) == {world["other"].pk: 2019}


def test_a_failed_run_leaves_the_previous_snapshot_and_the_next_run_completes(world):
    before = snapshot_cells()
    state = SnapshotState.objects.get(pk=1)
    Transformation.objects.filter(pk=world["c1"].pk).update(amount=Decimal("1.00"))
    engine.mark_dirty(unit_ids=[world["unit"].pk], years=[2021])
    real_build = engine.build_cells

    def build_then_die(**kwargs):
        real_build(**kwargs)  # half the work written...
        raise SystemExit("worker killed")  # ...then the process dies

    with mock.patch.object(engine, "build_cells", build_then_die):
        with pytest.raises(SystemExit):
            engine.recompute_incremental()
        with pytest.raises(SystemExit):
            engine.recompute_full()
    assert snapshot_cells() == before
    assert SnapshotState.objects.get(pk=1).revision == state.revision
    assert DirtyCell.objects.exists()
    engine.recompute_incremental()
    assert stats_summary(year=2021, scope=Scope())["amount"] == "1.00"


def test_full_recompute_switches_versions_and_cleans_up_old_ones(world):
    first = SnapshotState.objects.get(pk=1).version
    engine.recompute_full()
    engine.recompute_full()
    state = SnapshotState.objects.get(pk=1)
    assert state.version == first + 2
    assert set(StatCell.objects.values_list("version", flat=True).distinct()) == {first + 1, first + 2}


def test_recompute_stats_command_runs_the_same_task(world, capsys):
    Transformation.objects.filter(pk=world["c1"].pk).update(amount=Decimal("2.00"))
    call_command("recompute_stats", "--year", "2021")
    assert stats_summary(year=2021, scope=Scope())["amount"] == "2.00"
    call_command("recompute_stats")
    assert "统计快照已更新" in capsys.readouterr().out


def test_the_nightly_full_recompute_is_scheduled_with_an_expiry(db):
    task = PeriodicTask.objects.get(task="dashboards.tasks.recompute_full_task")
    assert task.enabled and task.crontab is not None and task.expire_seconds > 0


def test_the_tasks_acknowledge_late():
    from dashboards.tasks import recompute_full_task, recompute_incremental_task

    assert recompute_full_task.acks_late and recompute_incremental_task.acks_late


# --- the broker is down or silent ---------------------------------------------------------------


@pytest.fixture
def broker_at():
    """Point the Celery app at a given broker URL (not eager) for the test; restore afterwards."""
    saved = {
        "broker_url": celery_app.conf.broker_url,
        "broker_write_url": celery_app.conf.broker_write_url,
        "task_always_eager": celery_app.conf.task_always_eager,
    }

    def reset_pools():  # the next publish opens a connection to the broker now configured
        kombu_pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def point(url):
        reset_pools()
        celery_app.conf.broker_url = url
        celery_app.conf.broker_write_url = url  # publishing uses the write URL (set from the broker URL)
        celery_app.conf.task_always_eager = False

    yield point
    reset_pools()
    for name, value in saved.items():
        setattr(celery_app.conf, name, value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_broker():
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", accepted
    stop.set()
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    server.close()


def _save_in_thread(achievement_pk: int, user) -> tuple[threading.Thread, dict]:
    """Run a real service call in its own thread (its own connection; on_commit callbacks run)."""
    outcome = {}

    def save():
        try:
            achievement = Achievement.objects.get(pk=achievement_pk)
            outcome["result"] = services.achievement_update(
                achievement=achievement, acting_user=user, title="改过的标题"
            )
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=save, daemon=True)
    thread.start()
    return thread, outcome


def _assert_save_survives_the_broker(broker_url, broker_at, world):
    broker_at(broker_url)
    thread, outcome = _save_in_thread(world["old"].pk, world["user"])
    thread.join(timeout=SAVE_BOUND)
    assert not thread.is_alive(), "the save hung on the broker"
    assert "error" not in outcome, outcome.get("error")
    assert Achievement.objects.get(pk=world["old"].pk).title == "改过的标题"
    assert DirtyCell.objects.filter(unit_id=world["unit"].pk).exists(), "the pending recompute is kept"
    status = snapshot_status()
    assert status["stale"] is True and status["pending"] is False  # the next change tries again
    # Once the broker is back (here: eager), the next run repairs the snapshot.
    engine.recompute_incremental()
    assert snapshot_status()["stale"] is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_broker_connection_does_not_fail_or_hang_a_save(broker_at, world):
    _assert_save_survives_the_broker(f"redis://127.0.0.1:{_free_port()}/0", broker_at, world)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_silent_broker_does_not_hang_a_save(broker_at, silent_broker, world):
    url, accepted = silent_broker
    _assert_save_survives_the_broker(url, broker_at, world)
    assert accepted, "the save did try the silent broker"


def test_the_schedule_flag_is_released_when_the_broker_refuses(
    world, broker_at, django_capture_on_commit_callbacks
):
    broker_at(f"redis://127.0.0.1:{_free_port()}/0")
    with django_capture_on_commit_callbacks(execute=True):
        assert receivers.schedule_incremental() is True
    assert RecomputeSchedule.objects.get(pk=1).scheduled_until is None


# --- readers never see half a recompute ---------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent reader and writer: PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_during_a_recompute_sees_the_previous_snapshot(world):
    before = stats_summary(year=2021, scope=Scope())
    Transformation.objects.filter(pk=world["c1"].pk).update(amount=Decimal("9.00"))
    written, release = threading.Event(), threading.Event()
    real_build = engine.build_cells

    def build_and_wait(**kwargs):
        real_build(**kwargs)
        written.set()
        release.wait(timeout=30)

    def run():
        try:
            engine.recompute_full()
        finally:
            connection.close()

    with mock.patch.object(engine, "build_cells", build_and_wait):
        writer = threading.Thread(target=run)
        writer.start()
        assert written.wait(timeout=30)
        during = stats_summary(year=2021, scope=Scope())
        release.set()
        writer.join(timeout=30)
    assert during == before
    assert stats_summary(year=2021, scope=Scope())["amount"] == "9.00"
    with transaction.atomic():
        assert (
            SnapshotState.objects.get(pk=1).version == StatCell.objects.order_by("-version").first().version
        )
