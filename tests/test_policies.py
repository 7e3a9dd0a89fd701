"""One rule at every door (achievements.policies): marking convertible, restoring, moving between
units, merging, reinstating a cancelled contract and changing a shared transferee are refused alike
by the services, the pages, the API, the import and the admin; withdraw, cancel and merge confirm
and keep a required reason."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from achievements import policies, services
from achievements.choices import AchievementStatus, TransformationStatus
from achievements.models import Achievement, Transferee, Transformation
from achievements.signals import records_changed
from exchange.services import registry_import

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, make_credit_code
from .test_exchange_import import achievement_row, assert_problem, contract_row, workbook

pytestmark = pytest.mark.django_db

ACHIEVEMENTS = "/api/v1/achievements/"
CONTRACTS = "/api/v1/transformations/"
D = datetime.date


@pytest.fixture
def unit_api(unit_user):
    api = APIClient()
    api.force_login(unit_user)
    return api


@pytest.fixture
def staff_api(staff_user):
    api = APIClient()
    api.force_login(staff_user)
    return api


@pytest.fixture
def announced():
    """The (unit ids, years) of every records_changed sent (after commit) during the test."""
    received = []

    def receiver(sender, unit_ids, years, **kwargs):
        received.append((set(unit_ids), set(years)))

    records_changed.connect(receiver)
    yield received
    records_changed.disconnect(receiver)


def withdrawn(unit, **kwargs):
    return AchievementFactory(
        unit=unit, convertible=False, status=AchievementStatus.WITHDRAWN, withdrawn_on=D(2023, 1, 1), **kwargs
    )


# --- the predicates -------------------------------------------------------------------------


def test_staff_acts_are_refused_to_unit_users_and_allowed_to_staff_and_the_system(unit_user, staff_user):
    for actor, allowed in (
        (unit_user, False),
        (policies.UnitRole(unit_user.unit_id), False),
        (staff_user, True),
    ):
        assert policies.can_set_convertible(actor) is allowed
        assert policies.can_restore(actor, merged=False) is allowed
        assert policies.can_move_between_units(actor) is allowed
        assert policies.can_merge(actor) is allowed
        assert policies.can_reinstate_contract(actor) is allowed
    assert policies.can_set_convertible(None) and policies.can_merge(None)
    assert not policies.can_restore(staff_user, merged=True)
    assert policies.can_withdraw(unit_user, unit_user.unit_id)
    assert not policies.can_withdraw(unit_user, unit_user.unit_id + 1)


def test_a_transferee_is_a_unit_users_to_change_only_when_theirs_alone(unit_user, staff_user):
    change = policies.can_change_transferee
    assert change(unit_user, used_by_other_units=False, used_by_own_unit=True)
    assert not change(unit_user, used_by_other_units=True, used_by_own_unit=True)
    assert not change(unit_user, used_by_other_units=False, used_by_own_unit=False)
    assert change(staff_user, used_by_other_units=True, used_by_own_unit=False)


# --- marking convertible ----------------------------------------------------------------------


def test_service_refuses_convertible_to_a_unit_user(unit_user, staff_user):
    achievement = AchievementFactory(unit=unit_user.unit, convertible=False)
    with pytest.raises(ValidationError) as exc:
        services.achievement_update(achievement=achievement, acting_user=unit_user, convertible=True)
    assert exc.value.message_dict == {"convertible": [str(policies.MSG_CONVERTIBLE)]}
    with pytest.raises(PermissionDenied):
        services.achievement_set_convertible(achievement=achievement, acting_user=unit_user, convertible=True)
    with pytest.raises(ValidationError):
        services.achievement_create(
            acting_user=unit_user,
            unit=unit_user.unit,
            ref="NEW-1",
            title="新成果",
            ip_type="software",
            trl=5,
            registered_on=D(2024, 1, 1),
            convertible=True,
        )
    achievement.refresh_from_db()
    assert achievement.convertible is False
    services.achievement_update(achievement=achievement, acting_user=staff_user, convertible=True)
    achievement.refresh_from_db()
    assert achievement.convertible is True


def test_api_patch_convertible_by_a_unit_user_is_400_naming_the_field(unit_api, unit, staff_api):
    achievement = AchievementFactory(unit=unit, convertible=False)
    url = f"{ACHIEVEMENTS}{achievement.pk}/"
    response = unit_api.patch(url, {"convertible": True, "version": 1}, format="json")
    assert response.status_code == 400
    assert response.json() == {"convertible": ["只有厅工作人员可以标记或取消“可转化”。"]}
    achievement.refresh_from_db()
    assert (achievement.convertible, achievement.version) == (False, 1)
    # The same value is no change: a full update that repeats it is fine.
    assert (
        unit_api.patch(url, {"convertible": False, "title": "改名", "version": 1}, format="json").status_code
        == 200
    )
    assert staff_api.patch(url, {"convertible": True, "version": 2}, format="json").status_code == 200


def test_api_create_convertible_by_a_unit_user_is_400(unit_api):
    payload = {
        "ref": "API-C",
        "title": "一种焊接机器人",
        "ip_type": "software",
        "trl": 7,
        "registered_on": "2024-02-01",
        "convertible": True,
    }
    response = unit_api.post(ACHIEVEMENTS, payload, format="json")
    assert response.status_code == 400
    assert "convertible" in response.json()
    assert not Achievement.objects.filter(ref="API-C").exists()


def test_import_convertible_by_a_unit_is_a_row_error_on_new_and_own_rows(tmp_path, unit):
    own = AchievementFactory(unit=unit, ref="CG-1", convertible=False)
    for ref in ("CG-1", "CG-NEW"):
        path = workbook(
            tmp_path, achievements=[achievement_row(unit.code, ref, convertible="是")], name=f"{ref}.xlsx"
        )
        result = registry_import(source=path, unit=unit)
        assert_problem(result, sheet="achievements", row=2, column="convertible", message="只有厅工作人员")
    own.refresh_from_db()
    assert own.convertible is False and not Achievement.objects.filter(ref="CG-NEW").exists()


def test_import_convertible_by_the_department_is_applied(tmp_path, unit):
    own = AchievementFactory(unit=unit, ref="CG-1", convertible=False)
    path = workbook(
        tmp_path,
        achievements=[
            achievement_row(
                unit.code, "CG-1", convertible="是", patent_no=own.patent_no, registered_on="2022-03-01"
            )
        ],
    )
    assert registry_import(source=path).valid
    own.refresh_from_db()
    assert own.convertible is True


# --- restoring --------------------------------------------------------------------------------


def test_service_restore_is_staff_only_and_never_for_a_merged_duplicate(unit_user, staff_user):
    mine = withdrawn(unit_user.unit)
    with pytest.raises(PermissionDenied):
        services.achievement_restore(achievement=mine, acting_user=unit_user)
    keep = AchievementFactory(unit=unit_user.unit)
    duplicate = AchievementFactory(unit=unit_user.unit)
    services.achievement_merge(keep=keep, duplicate=duplicate, acting_user=staff_user, reason="重复")
    with pytest.raises(ValidationError) as exc:
        services.achievement_restore(achievement=duplicate, acting_user=staff_user)
    assert "status" in exc.value.message_dict
    services.achievement_restore(achievement=mine, acting_user=staff_user)
    mine.refresh_from_db()
    assert mine.status == AchievementStatus.ACTIVE


def test_api_status_is_read_only_so_a_unit_user_cannot_restore(unit_api, unit):
    mine = withdrawn(unit)
    response = unit_api.patch(f"{ACHIEVEMENTS}{mine.pk}/", {"status": "active", "version": 1}, format="json")
    assert response.status_code in (200, 400)
    mine.refresh_from_db()
    assert mine.status == AchievementStatus.WITHDRAWN


def test_import_restoring_by_a_unit_is_a_row_error(tmp_path, unit):
    mine = withdrawn(unit, ref="CG-1")
    row = achievement_row(
        unit.code, "CG-1", convertible="否", patent_no=mine.patent_no, registered_on="2022-03-01"
    )
    result = registry_import(source=workbook(tmp_path, achievements=[row]), unit=unit)
    assert_problem(result, sheet="achievements", row=2, column="status", message="只有厅工作人员可以恢复")
    mine.refresh_from_db()
    assert mine.status == AchievementStatus.WITHDRAWN


def test_import_never_restores_a_merged_duplicate(tmp_path, unit, staff_user):
    keep = AchievementFactory(unit=unit)
    duplicate = AchievementFactory(unit=unit, ref="CG-1", convertible=False)
    services.achievement_merge(keep=keep, duplicate=duplicate, acting_user=staff_user, reason="重复")
    row = achievement_row(
        unit.code, "CG-1", convertible="否", patent_no=duplicate.patent_no, registered_on="2022-03-01"
    )
    result = registry_import(source=workbook(tmp_path, achievements=[row]))  # the department's import
    assert_problem(result, sheet="achievements", row=2, column="status", message="已作为重复记录合并")
    duplicate.refresh_from_db()
    assert duplicate.status == AchievementStatus.WITHDRAWN


def test_import_restoring_by_the_department_is_applied(tmp_path, unit):
    record = withdrawn(unit, ref="CG-1")
    row = achievement_row(
        unit.code, "CG-1", convertible="否", patent_no=record.patent_no, registered_on="2022-03-01"
    )
    assert registry_import(source=workbook(tmp_path, achievements=[row])).valid
    record.refresh_from_db()
    assert record.status == AchievementStatus.ACTIVE


def test_import_reinstating_a_cancelled_contract_by_a_unit_is_a_row_error(tmp_path, unit):
    achievement = AchievementFactory(unit=unit, ref="CG-1", convertible=False)
    transferee = TransfereeFactory(
        code=make_credit_code(900_001, "210200", "91"), name="大连某某科技有限公司"
    )
    contract = TransformationFactory(
        achievement=achievement,
        ref="HT-1",
        transferee=transferee,
        status=TransformationStatus.CANCELLED,
        amount="100000.00",
        received="50000.00",
    )
    row = contract_row(unit.code, transferee_code=transferee.code)
    result = registry_import(source=workbook(tmp_path, contracts=[row]), unit=unit)
    assert_problem(result, sheet="transformations", row=2, column="status", message="已解除的合同")
    contract.refresh_from_db()
    assert contract.status == TransformationStatus.CANCELLED


# --- moving between units, merging ------------------------------------------------------------


def test_service_refuses_a_unit_user_moving_records_to_another_unit(unit_user, other_unit):
    mine = AchievementFactory(unit=unit_user.unit)
    with pytest.raises(ValidationError) as exc:
        services.achievement_update(achievement=mine, acting_user=unit_user, unit=other_unit)
    assert exc.value.message_dict == {"unit": [str(policies.MSG_MOVE)]}
    contract = TransformationFactory(achievement=AchievementFactory(unit=unit_user.unit))
    with pytest.raises(ValidationError):
        services.transformation_update(
            contract=contract, acting_user=unit_user, achievement=AchievementFactory(unit=other_unit)
        )
    with pytest.raises(PermissionDenied):
        services.achievement_merge(
            keep=mine, duplicate=AchievementFactory(unit=unit_user.unit), acting_user=unit_user, reason="x"
        )


def test_service_refuses_writes_on_another_units_records(unit_user, other_unit):
    theirs = AchievementFactory(unit=other_unit)
    contract = TransformationFactory(achievement=theirs)
    calls = (
        lambda: services.achievement_update(achievement=theirs, acting_user=unit_user, title="改"),
        lambda: services.achievement_withdraw(
            achievement=theirs, acting_user=unit_user, on=D(2024, 1, 1), reason="x"
        ),
        lambda: services.transformation_cancel(contract=contract, acting_user=unit_user, reason="x"),
        lambda: services.unit_update(unit=other_unit, acting_user=unit_user, name="改"),
    )
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    theirs.refresh_from_db()
    assert theirs.status == AchievementStatus.ACTIVE and theirs.version == 1


# --- shared transferees -----------------------------------------------------------------------


@pytest.fixture
def shared(other_unit):
    """A transferee used by another unit's contract."""
    transferee = TransfereeFactory(name="沈阳乙公司", region="210100")
    TransformationFactory(achievement=AchievementFactory(unit=other_unit), transferee=transferee)
    return transferee


def test_api_unit_user_cannot_rename_or_move_a_shared_transferee(unit_api, unit, shared):
    AchievementFactory(unit=unit, ref="CG-9")
    body = {
        "ref": "HT-9",
        "achievement_ref": "CG-9",
        "mode": "transfer",
        "signed_on": "2024-03-01",
        "amount": "1000.00",
    }
    renamed = unit_api.post(
        CONTRACTS,
        {**body, "transferee": {"code": shared.code, "name": "改名公司", "region": "110000"}},
        format="json",
    )
    assert renamed.status_code == 400
    message = renamed.json()["transferee"]["name"][0]
    assert "共享的主数据" in message and shared.code in message and "沈阳乙公司" not in message
    moved = unit_api.post(
        CONTRACTS, {**body, "transferee": {"code": shared.code, "region": "110000"}}, format="json"
    )
    assert moved.status_code == 400 and "region" in moved.json()["transferee"]
    shared.refresh_from_db()
    assert (shared.name, shared.region) == ("沈阳乙公司", "210100")
    # Linking it by its code alone is fine.
    linked = unit_api.post(CONTRACTS, {**body, "transferee": {"code": shared.code}}, format="json")
    assert linked.status_code == 201, linked.json()
    assert Transformation.objects.get(pk=linked.json()["id"]).transferee_id == shared.pk


def test_api_unit_user_may_correct_a_transferee_that_is_theirs_alone(unit_api, unit):
    contract = TransformationFactory(achievement=AchievementFactory(unit=unit))
    response = unit_api.patch(
        f"{CONTRACTS}{contract.pk}/",
        {"transferee": {"code": contract.transferee.code, "name": "更正后的名称"}, "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Transferee.objects.get(pk=contract.transferee_id).name == "更正后的名称"


def test_page_contract_form_refuses_renaming_a_shared_transferee(unit_client, unit, shared):
    achievement = AchievementFactory(unit=unit)
    response = unit_client.post(
        reverse("achievements:transformation_create", args=[achievement.pk]),
        {
            "ref": "HT-P",
            "mode": "transfer",
            "transferee_code": shared.code,
            "transferee_name": "改名公司",
            "transferee_region": "210100",
            "signed_on": "2024-03-01",
            "amount": "1000",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "受让方名称：受让方（统一社会信用代码" in html and "沈阳乙公司" not in html
    assert not Transformation.objects.filter(ref="HT-P").exists()
    shared.refresh_from_db()
    assert shared.name == "沈阳乙公司"


def test_import_by_a_unit_cannot_rename_a_shared_transferee_nor_reveal_its_name(tmp_path, unit, shared):
    AchievementFactory(unit=unit, ref="CG-1")
    row = contract_row(
        unit.code, transferee_code=shared.code, transferee_name="改名公司", transferee_region="210100"
    )
    result = registry_import(source=workbook(tmp_path, contracts=[row]), unit=unit, dry_run=True)
    assert_problem(result, sheet="transformations", row=2, column="transferee_name", message="共享的主数据")
    assert "沈阳乙公司" not in repr(result.problems) + repr(result.changes)
    shared.refresh_from_db()
    assert shared.name == "沈阳乙公司"


def test_staff_moving_a_transferee_announces_every_unit_with_its_contracts(
    staff_user, unit, shared, other_unit, django_capture_on_commit_callbacks, announced
):
    TransformationFactory(achievement=AchievementFactory(unit=unit), transferee=shared)
    with django_capture_on_commit_callbacks(execute=True):
        services.transferee_upsert(
            code=shared.code, name=shared.name, region="110108", acting_user=staff_user
        )
    shared.refresh_from_db()
    assert shared.region == "110108" and not shared.is_local
    assert announced and announced[-1][0] == {unit.pk, other_unit.pk}


# --- the admin --------------------------------------------------------------------------------


def test_admin_shows_versioned_records_read_only_and_deletes_nothing(staff_client):
    achievement = AchievementFactory(convertible=False)
    contract = TransformationFactory()
    change = reverse("admin:achievements_achievement_change", args=[achievement.pk])
    assert staff_client.get(change).status_code == 200
    assert staff_client.post(change, {"convertible": "on", "title": "改"}).status_code == 403
    for name, obj in (
        ("achievement", achievement),
        ("transformation", contract),
        ("transferee", contract.transferee),
    ):
        assert (
            staff_client.post(
                reverse(f"admin:achievements_{name}_delete", args=[obj.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
    achievement.refresh_from_db()
    assert achievement.convertible is False
    assert Achievement.objects.filter(pk=achievement.pk).exists()
    page = staff_client.get(reverse("admin:achievements_transferee_changelist")).content.decode()
    assert "delete_selected" not in page


def test_admin_history_page_cannot_revert(staff_client, staff_user):
    achievement = AchievementFactory(title="原名")
    services.achievement_update(achievement=achievement, acting_user=staff_user, title="新名")
    first = achievement.history.order_by("history_id").first()
    url = reverse("admin:achievements_achievement_simple_history", args=[achievement.pk, first.history_id])
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"title": "原名"}).status_code == 403
    achievement.refresh_from_db()
    assert achievement.title == "新名"


def test_admin_transferee_change_goes_through_the_service(
    staff_client, unit, shared, other_unit, django_capture_on_commit_callbacks, announced
):
    url = reverse("admin:achievements_transferee_change", args=[shared.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"name": "沈阳乙公司", "region": "110108", "synthetic": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    shared.refresh_from_db()
    assert shared.region == "110108"
    assert shared.history.first().history_user.username == "staff"
    assert announced and other_unit.pk in announced[-1][0]


# --- confirmations and reasons ----------------------------------------------------------------


def test_withdraw_asks_for_confirmation_and_a_reason_and_shows_it(unit_client, unit_user):
    achievement = AchievementFactory(unit=unit_user.unit)
    url = reverse("achievements:achievement_withdraw", args=[achievement.pk])
    page = unit_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'name="reason"' in html and "确认撤回" in html
    assert "只有厅工作人员" in html  # who can restore
    missing = unit_client.post(url, {"withdrawn_on": "2024-02-02", "version": 1, "reason": "  "})
    assert missing.status_code == 400 and "撤回原因：" in missing.content.decode()
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.ACTIVE
    done = unit_client.post(
        url, {"withdrawn_on": "2024-02-02", "version": 1, "reason": "与 CG-2 重复登记"}, follow=True
    )
    html = done.content.decode()
    assert "与 CG-2 重复登记" in html and 'id="status-reason"' in html and "只有厅工作人员" in html
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.WITHDRAWN
    assert achievement.history.first().history_change_reason == "撤回：与 CG-2 重复登记"


def test_cancel_asks_for_confirmation_and_a_reason_and_shows_it(unit_client, unit_user):
    contract = TransformationFactory(achievement=AchievementFactory(unit=unit_user.unit))
    url = reverse("achievements:transformation_cancel", args=[contract.pk])
    assert 'name="reason"' in unit_client.get(url).content.decode()
    assert unit_client.post(url, {"version": 1}).status_code == 400
    contract.refresh_from_db()
    assert contract.status == TransformationStatus.EFFECTIVE
    done = unit_client.post(url, {"version": 1, "reason": "受让方未付款"}, follow=True)
    assert "解除合同：受让方未付款" in done.content.decode()
    contract.refresh_from_db()
    assert contract.status == TransformationStatus.CANCELLED


def test_merge_needs_a_reason_kept_in_both_histories(staff_client):
    keep = AchievementFactory()
    duplicate = AchievementFactory(unit=keep.unit)
    url = reverse("achievements:achievement_merge", args=[keep.pk])
    assert 'name="reason"' in staff_client.get(url).content.decode()
    assert staff_client.post(url, {"duplicate": duplicate.pk}).status_code == 400
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert staff_client.post(url, {"duplicate": duplicate.pk, "reason": "同一专利"}).status_code == 302
    assert keep.history.first().history_change_reason.endswith("：同一专利")
    assert (
        Achievement.objects.get(pk=duplicate.pk).history.first().history_change_reason.endswith("：同一专利")
    )


def test_api_withdraw_and_cancel_require_a_reason(unit_api, unit):
    achievement = AchievementFactory(unit=unit)
    contract = TransformationFactory(achievement=AchievementFactory(unit=unit))
    no_reason = unit_api.post(
        f"{ACHIEVEMENTS}{achievement.pk}/withdraw/",
        {"withdrawn_on": "2024-06-30", "version": 1},
        format="json",
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    blank = unit_api.post(f"{CONTRACTS}{contract.pk}/cancel/", {"version": 1, "reason": ""}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()
    ok = unit_api.post(
        f"{CONTRACTS}{contract.pk}/cancel/", {"version": 1, "reason": "协商解除"}, format="json"
    )
    assert ok.status_code == 200
    assert (
        Transformation.objects.get(pk=contract.pk).history.first().history_change_reason
        == "解除合同：协商解除"
    )


def test_service_requires_a_reason(staff_user):
    achievement = AchievementFactory()
    with pytest.raises(ValidationError) as exc:
        services.achievement_withdraw(
            achievement=achievement, acting_user=staff_user, on=D(2024, 1, 1), reason=" "
        )
    assert "reason" in exc.value.message_dict
