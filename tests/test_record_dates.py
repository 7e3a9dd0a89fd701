"""Dates everywhere (docs/metrics.md): 1985-01-01 … today at every door and in the database, and one
bad record never stops the statistics engine (clamped years, failures contained per unit, reported
on /healthz/ and as stale figures, and the dirty queue recovers once the cause is fixed)."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from achievements.models import Achievement, Transformation
from dashboards import engine
from dashboards.models import DirtyCell, StatFailure
from dashboards.selectors import Scope, snapshot_status, stats_summary
from exchange.cells import CellError, parse_date
from exchange.format import ACHIEVEMENTS

from .factories import AchievementFactory, TransformationFactory, UnitFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def _today():
    return timezone.localdate()


# --- every door ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registered_on", D(1984, 12, 31)),
        ("registered_on", D(1, 1, 1)),
        ("registered_on", "tomorrow"),
        ("ip_granted_on", "tomorrow"),
        ("withdrawn_on", "tomorrow"),
    ],
)
def test_the_model_refuses_an_achievement_date_outside_1985_to_today_naming_the_field(field, value):
    achievement = AchievementFactory.build(unit=UnitFactory(), registered_on=D(2020, 1, 1))
    value = _today() + datetime.timedelta(days=1) if value == "tomorrow" else value
    setattr(achievement, field, value)
    if field == "withdrawn_on":
        achievement.status = "withdrawn"
    with pytest.raises(ValidationError) as caught:
        achievement.full_clean()
    label = str(Achievement._meta.get_field(field).verbose_name)
    assert any(label in m and "1985-01-01" in m for m in caught.value.message_dict[field])


def test_today_and_the_first_day_of_1985_are_accepted():
    unit = UnitFactory()
    for day in (D(1985, 1, 1), _today()):
        AchievementFactory.build(unit=unit, registered_on=day, ref=f"R{day}").full_clean()


def test_the_model_refuses_a_contract_signed_in_the_future():
    contract = TransformationFactory()
    contract.signed_on = _today() + datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as caught:
        contract.full_clean()
    assert "签订日期" in caught.value.message_dict["signed_on"][0]


def test_the_api_answers_400_naming_the_field(staff_user):
    unit = UnitFactory()
    api = APIClient()
    api.force_login(staff_user)
    payload = {
        "ref": "API-D",
        "unit_code": unit.code,
        "title": "日期错误的成果",
        "ip_type": "software",
        "trl": 5,
        "funded": False,
        "registered_on": "0001-01-01",
    }
    response = api.post("/api/v1/achievements/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "登记日期" in response.json()["registered_on"][0]
    assert not Achievement.objects.filter(ref="API-D").exists()


def test_the_import_names_the_column():
    column = next(c for c in ACHIEVEMENTS.columns if c.key == "registered_on")
    with pytest.raises(CellError) as caught:
        parse_date("1984-12-31", column)
    assert column.display_label() in caught.value.message
    assert parse_date("1985-01-01", column) == D(1985, 1, 1)


@pytest.mark.parametrize("value", [D(1984, 12, 31), D(1, 1, 1), "in a week"])
def test_the_database_refuses_a_date_outside_the_range(value):
    achievement = AchievementFactory(registered_on=D(2020, 1, 1))
    value = _today() + datetime.timedelta(days=7) if value == "in a week" else value
    with pytest.raises(IntegrityError), transaction.atomic():
        Achievement.objects.filter(pk=achievement.pk).update(registered_on=value)
    contract = TransformationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Transformation.objects.filter(pk=contract.pk).update(signed_on=value)


# --- the engine with a bad record ---------------------------------------------------------------


def _force_registered_on(achievement, value):
    """Write a date the constraints refuse, bypassing them (as an old row or a hand edit could)."""
    table = Achievement._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending deferred checks before ALTER
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT achievement_registered_on_1985_to_today')
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            cursor.execute(f'UPDATE "{table}" SET registered_on = %s WHERE id = %s', [value, achievement.pk])
        finally:
            if connection.vendor != "postgresql":
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    # (PostgreSQL: the test's transaction is rolled back at the end, constraints included.)


@pytest.fixture
def two_units(celery_eager):
    mine, theirs = UnitFactory(), UnitFactory(region="210200")
    a = AchievementFactory(unit=mine, registered_on=D(2020, 1, 1), convertible=False)
    b = AchievementFactory(unit=theirs, registered_on=D(2021, 1, 1))
    TransformationFactory(achievement=b, signed_on=D(2022, 1, 1), amount=Decimal("10.00"))
    engine.recompute_full()
    return mine, theirs, a, b


def test_a_record_dated_year_one_does_not_stop_the_recompute(two_units):
    mine, theirs, a, b = two_units
    _force_registered_on(a, D(1, 1, 1))
    engine.mark_dirty(unit_ids=[mine.pk], years=[1])
    assert set(DirtyCell.objects.values_list("year", flat=True)) == {1985}, "years are clamped to 1985"
    result = engine.recompute_incremental()
    assert result["kind"] == "incremental" and not result.get("failed_units")
    result = engine.recompute_full()
    assert not result.get("failed_units")
    assert stats_summary(year=1985, scope=Scope(unit=mine.code))["achievements"] == 1  # counted from 1985
    assert stats_summary(year=2022, scope=Scope(unit=theirs.code))["contracts"] == 1
    assert engine.record_year_range() == (1985, engine.current_year())


def _failing_for(unit_id):
    real_build = engine.build_cells

    def build(**kwargs):
        ids = kwargs.get("unit_ids")
        if ids is None or unit_id in ids:
            raise RuntimeError(f"target lists can have at most 1664 entries (unit {unit_id})")
        return real_build(**kwargs)

    return build


def test_a_failing_unit_never_blocks_the_others_and_recovers(two_units, client, caplog):
    mine, theirs, a, b = two_units
    Transformation.objects.filter(achievement=b).update(amount=Decimal("99.00"))
    Achievement.objects.filter(pk=a.pk).update(convertible=True)
    engine.mark_dirty(unit_ids=[mine.pk, theirs.pk], years=[2020])
    with mock.patch.object(engine, "build_cells", _failing_for(mine.pk)):
        result = engine.recompute_incremental()
    assert result["failed_units"] == [mine.pk] and result["units"] == [theirs.pk]
    # the other unit's figures are in; the failing unit keeps its previous figures and stays pending
    assert stats_summary(year=2022, scope=Scope(unit=theirs.code))["amount"] == "99.00"
    assert stats_summary(year=2020, scope=Scope(unit=mine.code))["convertible"] == 0
    assert set(DirtyCell.objects.values_list("unit_id", flat=True)) == {mine.pk}
    assert "could not be built" in caplog.text
    # reported: /healthz/, the selector behind the dashboard, the dashboard page
    failure = StatFailure.objects.get()
    assert failure.unit_id == mine.pk and "1664" in failure.error
    health = client.get("/healthz/").json()
    assert health["statistics"]["status"] == "failing" and health["statistics"]["failing_units"] == 1
    status = snapshot_status()
    assert status["stale"] is True and status["failing"] is True
    # a full run contains the failure the same way (the unit keeps its figures in the new version)
    with mock.patch.object(engine, "build_cells", _failing_for(mine.pk)):
        result = engine.recompute_full()
    assert result["failed_units"] == [mine.pk]
    assert stats_summary(year=2020, scope=Scope(unit=mine.code))["achievements"] == 1
    assert StatFailure.objects.get().attempts == 2
    # once the cause is gone, the next run (the sweep, with no edit) catches up and clears the report
    from dashboards.tasks import sweep_dirty_task

    sweep_dirty_task.apply()
    assert not DirtyCell.objects.exists() and not StatFailure.objects.exists()
    assert stats_summary(year=2020, scope=Scope(unit=mine.code))["convertible"] == 1
    assert client.get("/healthz/").json()["statistics"]["status"] == "ok"
    assert snapshot_status()["stale"] is False
