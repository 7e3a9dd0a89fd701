"""Model validation and database constraints of the core records (issue: walking skeleton)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from achievements.choices import AchievementStatus, IPType
from achievements.models import Achievement
from core.validators import normalize_patent_no, validate_credit_code, validate_patent_no

from .factories import (
    AchievementFactory,
    TransfereeFactory,
    TransformationFactory,
    UnitFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db


def test_patent_numbers_from_domain_examples_validate():
    validate_patent_no("201310699744.2")
    validate_patent_no("97101765.4")
    validate_patent_no("ZL 2013 1069 9744.2")
    assert normalize_patent_no("CN2013106997442") == "201310699744.2"


@pytest.mark.parametrize("bad", ["201310699744.3", "2013106997", "abc", "97101765.5"])
def test_bad_patent_numbers_are_rejected(bad):
    with pytest.raises(ValidationError):
        validate_patent_no(bad)


def test_credit_code_check_character_is_verified():
    good = make_credit_code(42)
    validate_credit_code(good)
    last = good[-1]
    wrong = good[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(ValidationError, match="校验码"):
        validate_credit_code(wrong)


def test_invalid_unit_fields_are_named_in_errors():
    unit = UnitFactory.build(code="91210100XXXXXXXXX1", region="990000")
    with pytest.raises(ValidationError) as exc:
        unit.full_clean()
    assert {"code", "region"} <= set(exc.value.message_dict)


def test_trl_outside_1_to_9_is_rejected_by_validation_and_database():
    achievement = AchievementFactory.build(unit=UnitFactory(), trl=10)
    with pytest.raises(ValidationError) as exc:
        achievement.full_clean()
    assert "trl" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        achievement.save()


def test_withdrawn_without_date_is_rejected_by_validation_and_database():
    achievement = AchievementFactory.build(unit=UnitFactory(), status=AchievementStatus.WITHDRAWN)
    with pytest.raises(ValidationError) as exc:
        achievement.full_clean()
    assert "withdrawn_on" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        achievement.save()


def test_patent_type_needs_a_valid_patent_number():
    achievement = AchievementFactory.build(unit=UnitFactory(), ip_type=IPType.UTILITY_MODEL, patent_no="")
    with pytest.raises(ValidationError) as exc:
        achievement.full_clean()
    assert "patent_no" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        achievement.save()


def test_software_needs_no_patent_number():
    achievement = AchievementFactory.build(unit=UnitFactory(), ip_type=IPType.SOFTWARE, patent_no="")
    achievement.full_clean()


def test_received_above_amount_is_rejected_by_validation_and_database():
    contract = TransformationFactory(amount=Decimal("100.00"))
    contract.received = Decimal("100.01")
    with pytest.raises(ValidationError) as exc:
        contract.full_clean()
    assert "received" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.save()


def test_negative_amount_is_rejected_by_validation_and_database():
    contract = TransformationFactory()
    contract.amount = Decimal("-1.00")
    with pytest.raises(ValidationError) as exc:
        contract.full_clean()
    assert "amount" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.save()


def test_transferee_is_local_is_derived_from_region():
    local = TransfereeFactory(region="210202")
    remote = TransfereeFactory(region="110105")
    local.refresh_from_db()
    remote.refresh_from_db()
    assert local.is_local is True
    assert remote.is_local is False


def test_achievement_ref_is_unique_per_unit_only():
    first = AchievementFactory(ref="X-1")
    AchievementFactory(ref="X-1")  # another unit may reuse the ref
    with pytest.raises(IntegrityError), transaction.atomic():
        AchievementFactory(ref="X-1", unit=first.unit)


def test_withdrawal_before_registration_is_rejected():
    achievement = AchievementFactory.build(
        unit=UnitFactory(),
        status=AchievementStatus.WITHDRAWN,
        registered_on=datetime.date(2022, 5, 1),
        withdrawn_on=datetime.date(2022, 4, 30),
    )
    with pytest.raises(ValidationError) as exc:
        achievement.full_clean()
    assert "withdrawn_on" in exc.value.message_dict


def test_clusters_are_seeded_by_migration():
    from achievements.models import Cluster

    assert Cluster.objects.count() == 22
    assert Cluster.objects.get(code="C03").name == "菱镁新材料"


def test_history_records_changes():
    achievement = AchievementFactory()
    achievement.title = "新标题"
    achievement.save()
    assert Achievement.history.filter(id=achievement.id).count() == 2


def test_cluster_name_follows_the_active_language():
    from django.utils import translation

    from achievements.models import Cluster

    cluster = Cluster.objects.get(code="A01")
    assert str(cluster) == "A01 高档数控机床"
    with translation.override("en"):
        assert str(cluster) == "A01 CNC machine tools"
