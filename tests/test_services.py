"""Write services: history, optimistic locking, withdrawal, merge, change announcements."""

import datetime

import pytest

from achievements import services
from achievements.choices import AchievementStatus, TransformationStatus
from achievements.models import Achievement
from achievements.signals import records_changed
from core.exceptions import StaleVersionError

from .factories import AchievementFactory, TransformationFactory

pytestmark = pytest.mark.django_db


def test_update_with_stale_version_is_refused_and_changes_nothing(staff_user):
    achievement = AchievementFactory(title="原标题")
    read_version = achievement.version
    services.achievement_update(
        achievement=achievement, acting_user=staff_user, expected_version=read_version, title="第一人修改"
    )
    with pytest.raises(StaleVersionError):
        services.achievement_update(
            achievement=achievement, acting_user=staff_user, expected_version=read_version, title="第二人修改"
        )
    achievement.refresh_from_db()
    assert achievement.title == "第一人修改"
    assert achievement.version == read_version + 1


def test_withdraw_keeps_record_and_writes_history_with_user(staff_user):
    achievement = AchievementFactory()
    services.achievement_withdraw(
        achievement=achievement, acting_user=staff_user, on=datetime.date(2024, 1, 2), reason="重复登记"
    )
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.WITHDRAWN
    latest = achievement.history.first()
    assert latest.history_user == staff_user
    assert latest.history_change_reason == "撤回：重复登记"


def test_merge_moves_contracts_and_withdraws_duplicate(staff_user):
    keep = AchievementFactory()
    duplicate = AchievementFactory(unit=keep.unit)
    contract = TransformationFactory(achievement=duplicate)
    services.achievement_merge(
        keep=keep,
        duplicate=duplicate,
        acting_user=staff_user,
        on=datetime.date(2024, 5, 1),
        reason="同一专利",
    )
    contract.refresh_from_db()
    duplicate.refresh_from_db()
    assert contract.achievement_id == keep.pk
    assert duplicate.status == AchievementStatus.WITHDRAWN
    assert duplicate.merged_into_id == keep.pk
    assert "合并" in duplicate.history.first().history_change_reason


def test_changes_are_announced_after_commit(staff_user, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, unit_ids, years, **kwargs):
        received.append((unit_ids, years))

    records_changed.connect(receiver)
    try:
        contract = TransformationFactory(signed_on=datetime.date(2023, 12, 31))
        with django_capture_on_commit_callbacks(execute=True):
            services.transformation_update(
                contract=contract, acting_user=staff_user, signed_on=datetime.date(2024, 1, 1)
            )
    finally:
        records_changed.disconnect(receiver)
    assert received == [({contract.unit_id}, {2023, 2024})]


def test_cancel_contract_keeps_it(staff_user):
    contract = TransformationFactory()
    services.transformation_cancel(contract=contract, acting_user=staff_user, reason="协商解除")
    contract.refresh_from_db()
    assert contract.status == TransformationStatus.CANCELLED
    assert Achievement.objects.filter(pk=contract.achievement_id).exists()



def test_an_achievement_with_contracts_keeps_its_unit_at_every_door(staff_user, unit, other_unit):
    """A contract's unit is its achievement's: the service (which the page, the API and the import
    call) refuses to move an achievement with contracts to another unit, naming the field, and
    changes nothing; one without contracts moves."""
    from django.core.exceptions import ValidationError

    from achievements import policies

    achievement = AchievementFactory(unit=unit)
    contract = TransformationFactory(achievement=achievement)
    with pytest.raises(ValidationError) as exc:
        services.achievement_update(achievement=achievement, acting_user=staff_user, unit=other_unit)
    assert exc.value.message_dict == {"unit": [str(policies.MSG_MOVE_WITH_CONTRACTS)]}
    achievement.refresh_from_db()
    contract.refresh_from_db()
    assert achievement.unit_id == unit.pk and contract.unit_id == unit.pk
    assert achievement.version == 1

    alone = AchievementFactory(unit=unit)
    services.achievement_update(achievement=alone, acting_user=staff_user, unit=other_unit, title="改单位")
    alone.refresh_from_db()
    assert alone.unit_id == other_unit.pk
