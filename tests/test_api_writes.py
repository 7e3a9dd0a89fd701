"""Writes through the API beyond the generic tests: actions, natural keys, unit rules, errors."""

import datetime

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from achievements.models import Achievement, Transferee, Transformation
from core.api.pagination import PageNumberPagination
from core.api.testing import fast_password_hashing  # noqa: F401  (autouse fixture)

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, make_credit_code

pytestmark = pytest.mark.django_db

ACHIEVEMENTS = "/api/v1/achievements/"
CONTRACTS = "/api/v1/transformations/"


@pytest.fixture
def staff_api(staff_user):
    api = APIClient()
    api.force_login(staff_user)
    return api


@pytest.fixture
def unit_api(unit_user):
    api = APIClient()
    api.force_login(unit_user)
    return api


def achievement_payload(**overrides):
    return {
        "ref": "API-1",
        "title": "一种智能焊接机器人",
        "ip_type": "software",
        "trl": 7,
        "funded": False,
        "convertible": True,
        "registered_on": "2024-02-01",
        **overrides,
    }


def contract_payload(**overrides):
    return {
        "ref": "HT-1",
        "mode": "transfer",
        "transferee": {
            "code": make_credit_code(123_456, "210200", "91"),
            "name": "大连甲公司",
            "region": "210200",
        },
        "signed_on": "2024-03-01",
        "amount": "100000.50",
        **overrides,
    }


# --- withdraw and cancel ---------------------------------------------------------------------


def test_withdraw_action_withdraws_and_bumps_version(staff_api):
    achievement = AchievementFactory(registered_on=datetime.date(2022, 1, 1))
    response = staff_api.post(
        f"{ACHIEVEMENTS}{achievement.pk}/withdraw/",
        {"withdrawn_on": "2024-06-30", "reason": "重复登记", "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["withdrawn_on"], body["version"]) == ("withdrawn", "2024-06-30", 2)
    assert (
        Achievement.objects.get(pk=achievement.pk).history.first().history_change_reason == "撤回：重复登记"
    )


def test_withdraw_with_stale_version_is_409(staff_api):
    achievement = AchievementFactory()
    staff_api.patch(f"{ACHIEVEMENTS}{achievement.pk}/", {"title": "别人先改了", "version": 1}, format="json")
    response = staff_api.post(
        f"{ACHIEVEMENTS}{achievement.pk}/withdraw/",
        {"withdrawn_on": "2024-06-30", "reason": "重复登记", "version": 1},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert Achievement.objects.get(pk=achievement.pk).status == "active"


def test_withdraw_before_registration_is_400_on_withdrawn_on(staff_api):
    achievement = AchievementFactory(registered_on=datetime.date(2022, 1, 1))
    response = staff_api.post(
        f"{ACHIEVEMENTS}{achievement.pk}/withdraw/",
        {"withdrawn_on": "2021-12-31", "reason": "重复登记", "version": 1},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["withdrawn_on"] == ["撤回日期不能早于登记日期。"]


def test_withdraw_needs_date_and_version(staff_api):
    achievement = AchievementFactory()
    response = staff_api.post(f"{ACHIEVEMENTS}{achievement.pk}/withdraw/", {}, format="json")
    assert response.status_code == 400
    assert {"withdrawn_on", "reason", "version"} <= set(response.json())


def test_unit_user_cannot_withdraw_another_units_achievement(unit_api, other_unit):
    theirs = AchievementFactory(unit=other_unit)
    response = unit_api.post(
        f"{ACHIEVEMENTS}{theirs.pk}/withdraw/",
        {"withdrawn_on": "2024-06-30", "reason": "重复登记", "version": 1},
        format="json",
    )
    assert response.status_code == 404
    assert Achievement.objects.get(pk=theirs.pk).status == "active"


def test_unit_user_withdraws_own_achievement(unit_api, unit):
    mine = AchievementFactory(unit=unit)
    response = unit_api.post(
        f"{ACHIEVEMENTS}{mine.pk}/withdraw/",
        {"withdrawn_on": "2024-06-30", "reason": "重复登记", "version": 1},
        format="json",
    )
    assert response.status_code == 200


def test_cancel_action_cancels_contract(staff_api):
    contract = TransformationFactory()
    response = staff_api.post(
        f"{CONTRACTS}{contract.pk}/cancel/", {"reason": "协商解除", "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("cancelled", 2)
    stale = staff_api.post(
        f"{CONTRACTS}{contract.pk}/cancel/", {"reason": "协商解除", "version": 1}, format="json"
    )
    assert stale.status_code == 409


# --- achievements: unit rules and natural keys ------------------------------------------------


def test_unit_user_creates_achievement_for_own_unit_without_unit_code(unit_api, unit):
    response = unit_api.post(ACHIEVEMENTS, achievement_payload(convertible=False), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["unit_code"] == unit.code
    assert response.json()["unit"]["name"] == unit.name
    assert Achievement.objects.get(pk=response.json()["id"]).unit == unit


def test_unit_user_cannot_create_achievement_for_another_unit(unit_api, other_unit):
    response = unit_api.post(ACHIEVEMENTS, achievement_payload(unit_code=other_unit.code), format="json")
    assert response.status_code == 400
    assert response.json()["unit_code"] == ["只能登记本单位的成果。"]
    assert not Achievement.objects.exists()


def test_staff_must_name_the_unit(staff_api):
    response = staff_api.post(ACHIEVEMENTS, achievement_payload(), format="json")
    assert response.status_code == 400
    assert "unit_code" in response.json()


def test_unknown_unit_code_is_400(staff_api):
    response = staff_api.post(
        ACHIEVEMENTS, achievement_payload(unit_code="91210200000000000X"), format="json"
    )
    assert response.status_code == 400
    assert "unit_code" in response.json()


def test_duplicate_ref_within_unit_is_400_with_the_constraint_message(staff_api, unit):
    AchievementFactory(unit=unit, ref="API-1")
    response = staff_api.post(ACHIEVEMENTS, achievement_payload(unit_code=unit.code), format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["本单位已有相同成果编号的成果。"]


def test_patent_without_number_is_400_on_patent_no(staff_api, unit):
    response = staff_api.post(
        ACHIEVEMENTS, achievement_payload(unit_code=unit.code, ip_type="invention_patent"), format="json"
    )
    assert response.status_code == 400
    assert "patent_no" in response.json()


def test_unit_of_an_achievement_cannot_be_changed(staff_api, other_unit):
    achievement = AchievementFactory()
    response = staff_api.patch(
        f"{ACHIEVEMENTS}{achievement.pk}/", {"unit_code": other_unit.code, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "unit_code" in response.json()


def test_status_is_read_only_withdraw_is_the_way(staff_api):
    achievement = AchievementFactory()
    response = staff_api.patch(
        f"{ACHIEVEMENTS}{achievement.pk}/", {"status": "withdrawn", "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "active"


def test_full_update_with_put(staff_api, unit):
    achievement = AchievementFactory(unit=unit)
    payload = achievement_payload(unit_code=unit.code, title="整体修改", version=1)
    response = staff_api.put(f"{ACHIEVEMENTS}{achievement.pk}/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["ip_type"], response.json()["patent_no"]) == (
        "整体修改",
        "software",
        achievement.patent_no,
    )


def test_validation_messages_follow_accept_language(staff_api, unit):
    AchievementFactory(unit=unit, ref="API-1")
    response = staff_api.post(
        ACHIEVEMENTS,
        achievement_payload(unit_code=unit.code, trl=12),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "trl" in response.json()


# --- contracts: achievement by id or by (unit_code, achievement_ref); nested transferee ------


def test_contract_by_achievement_id_creates_transferee(staff_api):
    achievement = AchievementFactory()
    response = staff_api.post(CONTRACTS, contract_payload(achievement=achievement.pk), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["unit_code"], body["achievement_ref"]) == (achievement.unit.code, achievement.ref)
    assert body["amount"] == "100000.50"
    assert body["received"] is None
    assert body["transferee"]["is_local"] is True
    assert Transferee.objects.filter(code=body["transferee"]["code"]).count() == 1


def test_contract_reuses_and_updates_transferee_by_code(staff_api):
    achievement = AchievementFactory()
    existing = TransfereeFactory(region="210200")
    payload = contract_payload(
        achievement=achievement.pk,
        transferee={"code": existing.code, "name": "更名公司", "region": "110105"},
    )
    response = staff_api.post(CONTRACTS, payload, format="json")
    assert response.status_code == 201, response.json()
    existing.refresh_from_db()
    assert (existing.name, existing.is_local) == ("更名公司", False)
    assert Transformation.objects.get().transferee == existing


def test_unknown_achievement_ref_is_400(unit_api):
    response = unit_api.post(CONTRACTS, contract_payload(achievement_ref="NOPE"), format="json")
    assert response.status_code == 400
    assert "achievement_ref" in response.json()


def test_unit_user_contract_by_ref_defaults_to_own_unit(unit_api, unit):
    achievement = AchievementFactory(unit=unit, ref="CG-9")
    response = unit_api.post(CONTRACTS, contract_payload(achievement_ref="CG-9"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["achievement"] == achievement.pk


def test_unit_user_cannot_attach_contract_to_another_units_achievement(unit_api, other_unit):
    theirs = AchievementFactory(unit=other_unit)
    by_id = unit_api.post(CONTRACTS, contract_payload(achievement=theirs.pk), format="json")
    by_ref = unit_api.post(
        CONTRACTS, contract_payload(unit_code=other_unit.code, achievement_ref=theirs.ref), format="json"
    )
    assert by_id.status_code == 400 and "achievement" in by_id.json()
    assert by_ref.status_code == 400 and "unit_code" in by_ref.json()
    assert not Transformation.objects.exists()


def test_contract_needs_an_achievement(staff_api):
    response = staff_api.post(CONTRACTS, contract_payload(), format="json")
    assert response.status_code == 400
    assert "achievement" in response.json()


def test_mismatched_id_and_ref_is_400(staff_api, unit):
    first, second = AchievementFactory(unit=unit), AchievementFactory(unit=unit)
    payload = contract_payload(achievement=first.pk, unit_code=unit.code, achievement_ref=second.ref)
    response = staff_api.post(CONTRACTS, payload, format="json")
    assert response.status_code == 400
    assert "achievement" in response.json()


def test_invalid_transferee_is_400_nested_and_writes_nothing(staff_api):
    achievement = AchievementFactory()
    payload = contract_payload(
        achievement=achievement.pk, transferee={"code": "123", "name": "坏公司", "region": "210200"}
    )
    response = staff_api.post(CONTRACTS, payload, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["transferee"]
    assert not Transferee.objects.exists()


def test_invalid_contract_after_valid_transferee_rolls_back_the_transferee(staff_api):
    achievement = AchievementFactory()
    payload = contract_payload(achievement=achievement.pk, received="999999999.00")
    response = staff_api.post(CONTRACTS, payload, format="json")
    assert response.status_code == 400
    assert "received" in response.json()
    assert not Transferee.objects.exists()


def test_patch_transferee_name_keeps_its_code(staff_api):
    contract = TransformationFactory()
    code = contract.transferee.code
    response = staff_api.patch(
        f"{CONTRACTS}{contract.pk}/", {"transferee": {"name": "新名称"}, "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["transferee"]["code"] == code
    assert Transferee.objects.get(code=code).name == "新名称"


def test_contract_cannot_move_to_another_units_achievement(staff_api, other_unit):
    contract = TransformationFactory()
    theirs = AchievementFactory(unit=other_unit)
    response = staff_api.patch(
        f"{CONTRACTS}{contract.pk}/", {"achievement": theirs.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "achievement" in response.json()


def test_filter_with_invalid_value_is_400_naming_the_parameter(staff_api):
    response = staff_api.get(CONTRACTS, {"mode": "gift"})
    assert response.status_code == 400
    assert "mode" in response.json()


def test_page_size_is_1_to_500_and_anything_else_is_refused():
    pagination = PageNumberPagination()
    for asked, given in (("5", 5), ("500", 500), ("", 50)):
        request = Request(APIRequestFactory().get(ACHIEVEMENTS, {"page_size": asked}))
        assert pagination.get_page_size(request) == given
    for asked in ("100000", "0", "-1", "ten"):
        request = Request(APIRequestFactory().get(ACHIEVEMENTS, {"page_size": asked}))
        with pytest.raises(ValidationError) as exc:
            pagination.get_page_size(request)
        assert "page_size" in exc.value.detail


def test_unknown_ordering_field_is_refused_naming_the_parameter(staff_api):
    AchievementFactory()
    response = staff_api.get(ACHIEVEMENTS, {"ordering": "unit__users__password"})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_api_root_lists_endpoints(staff_api):
    body = staff_api.get("/api/v1/").json()
    for name in ("units", "achievements", "transferees", "transformations", "schema", "docs", "redoc"):
        assert body[name].startswith("http://testserver/api/v1/")
