"""Who may do what in the registry: the one place the rules are written.

A small module of named predicates (no extra library): the rules depend on plain facts (is the
actor staff, which unit is theirs, which unit a record belongs to, whether another unit's contract
uses a transferee), so the same predicates serve the services, which check them on every write,
and the import, which checks them on plain row values without loading model instances. The
services raise; pages, API, import and admin all write through the services (the import applies
the same predicates row by row before anything is written), so no door can disagree.

The actors:

- ``None``: the system itself (management commands without a unit, data migrations, the demo
  seeder): trusted, like staff;
- department staff (``user.is_staff``): every act on every unit's records;
- a unit user (``user.unit_id``): their own unit's records, minus the department's acts;
- ``UnitRole(unit_id)``: a unit user's rights without a user object (an import restricted to one
  unit has exactly a unit user's rights, whoever runs it);
- anybody else (a user without unit, not staff): nothing.

Two kinds of refusal: an *act* the actor may not perform at all (restore, merge, mark convertible
through its button, any write on another unit's record) raises ``PermissionDenied`` (HTTP 403);
a *field change* inside a create or an edit (``convertible``, ``status``, ``unit``, a shared
transferee's name or region) raises ``ValidationError`` keyed by that field, so the form, the API
answer (400) and the import row error all name the field.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff, unit_of

from .choices import AchievementStatus, TransformationStatus

# Messages (one wording per rule, used by every door).
MSG_OTHER_UNIT = _("只能办理本单位的记录。")
MSG_NO_UNIT = _("您的账号未关联任何单位，不能登记或修改记录。")
MSG_CONVERTIBLE = _("只有厅工作人员可以标记或取消“可转化”。")
MSG_RESTORE = _("只有厅工作人员可以恢复已撤回的成果；如需恢复，请联系厅成果转化处。")
MSG_RESTORE_MERGED = _("该记录已作为重复记录合并至其他成果，不能恢复。")
MSG_REINSTATE = _("只有厅工作人员可以恢复已解除的合同。")
MSG_MERGE = _("只有厅工作人员可以合并重复记录。")
MSG_MOVE = _("只有厅工作人员可以把成果或合同改到其他单位。")
MSG_MOVE_WITH_CONTRACTS = _("该成果已有转化合同，不能更换完成单位；如为重复登记，请使用“合并重复记录”。")
MSG_UNITS = _("只有厅工作人员可以新增或修改单位。")
MSG_TRANSFEREE_SHARED = _(
    "受让方（统一社会信用代码 %(code)s）是共享的主数据，已被其他单位使用或由厅工作人员维护："
    "单位用户不能修改其名称或地区代码。请按库中登记的信息填写（名称和地区代码可留空以沿用库中信息），"
    "或联系厅工作人员修改。"
)
MSG_REASON_REQUIRED = _("请填写原因（将记入修改记录）。")
WHO_CAN_RESTORE = _("撤回后只有厅工作人员（厅成果转化处）可以恢复。")


@dataclass(frozen=True)
class UnitRole:
    """A unit user's rights for ``unit_id``, without a user object (a unit-restricted import)."""

    unit_id: int
    is_staff: bool = False
    is_authenticated: bool = True


# --- who (``is_staff`` and ``unit_of`` are the accounts app's role facts) -------------------------


def owns(user, unit_id: int | None) -> bool:
    """Staff own every unit's records; a unit user their own unit's."""
    return is_staff(user) or (unit_of(user) is not None and unit_of(user) == unit_id)


# --- named predicates ------------------------------------------------------------------------


def can_create_record(user, unit_id: int | None) -> bool:
    """Register an achievement or a contract for ``unit_id``."""
    return owns(user, unit_id)


def can_edit_record(user, unit_id: int | None) -> bool:
    """Edit an achievement or contract of ``unit_id`` (its ordinary fields)."""
    return owns(user, unit_id)


def can_withdraw(user, unit_id: int | None) -> bool:
    """Withdraw an achievement (or import a withdrawal) of ``unit_id``."""
    return owns(user, unit_id)


def can_cancel_contract(user, unit_id: int | None) -> bool:
    return owns(user, unit_id)


def can_restore(user, *, merged: bool) -> bool:
    """Bring a withdrawn achievement back; a merged duplicate is never restored."""
    return is_staff(user) and not merged


def can_reinstate_contract(user) -> bool:
    """Undo a cancellation (only an import can express it)."""
    return is_staff(user)


def can_set_convertible(user) -> bool:
    """Mark or unmark an achievement convertible (the department's list)."""
    return is_staff(user)


def can_merge(user) -> bool:
    return is_staff(user)


def can_move_between_units(user) -> bool:
    """Change the unit of an achievement, or move a contract under another unit's achievement."""
    return is_staff(user)


def can_edit_units(user) -> bool:
    return is_staff(user)


def can_register_records(user) -> bool:
    """Work on records at all (register, import): staff, and any user of a unit."""
    return is_staff(user) or unit_of(user) is not None


def can_create_transferee(user) -> bool:
    """Staff, and any unit user (a new enterprise on their contract)."""
    return is_staff(user) or unit_of(user) is not None


def can_change_transferee(user, *, used_by_other_units: bool, used_by_own_unit: bool) -> bool:
    """Change the name or region of an existing transferee (its credit code never changes).

    A unit user may only correct a transferee that is theirs alone: used by their unit's contracts
    and by no other unit's. Any other transferee is shared master data kept by the department.
    """
    return is_staff(user) or (used_by_own_unit and not used_by_other_units)


# --- checks the services (and the import, on row values) apply ----------------------------


def require(allowed: bool, message) -> None:
    """Refuse an act with 403."""
    if not allowed:
        raise PermissionDenied(message)


def require_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: MSG_REASON_REQUIRED})
    return reason


def achievement_problems(user, *, old: dict | None, new: dict) -> dict[str, str]:
    """Field → message for each change ``user`` may not make to an achievement.

    ``old`` holds the current ``unit_id``, ``convertible``, ``status`` and ``merged`` (None when
    creating), and ``has_contracts`` when the unit changes; ``new`` the values being written (any
    subset of the same keys). An achievement with contracts never changes unit: a contract's unit is
    its achievement's (``Transformation.clean``), and the statistics and the drill-down lists read
    a contract's unit from the contract.
    """
    problems: dict[str, str] = {}
    if old is None:
        if new.get("convertible") and not can_set_convertible(user):
            problems["convertible"] = str(MSG_CONVERTIBLE)
        return problems
    if "unit_id" in new and new["unit_id"] != old["unit_id"]:
        if not can_move_between_units(user):
            problems["unit"] = str(MSG_MOVE)
        elif old.get("has_contracts"):
            problems["unit"] = str(MSG_MOVE_WITH_CONTRACTS)
    if "convertible" in new and bool(new["convertible"]) != bool(old["convertible"]):
        if not can_set_convertible(user):
            problems["convertible"] = str(MSG_CONVERTIBLE)
    status = new.get("status", old["status"])
    if old["status"] == AchievementStatus.WITHDRAWN and status == AchievementStatus.ACTIVE:
        if old.get("merged"):
            problems["status"] = str(MSG_RESTORE_MERGED)
        elif not can_restore(user, merged=False):
            problems["status"] = str(MSG_RESTORE)
    return problems


def contract_problems(user, *, old: dict | None, new: dict) -> dict[str, str]:
    """Field → message for each change ``user`` may not make to a contract (``unit_id``, ``status``)."""
    problems: dict[str, str] = {}
    if old is None:
        return problems
    if "unit_id" in new and new["unit_id"] != old["unit_id"] and not can_move_between_units(user):
        problems["achievement"] = str(MSG_MOVE)
    status = new.get("status", old["status"])
    if old["status"] == TransformationStatus.CANCELLED and status == TransformationStatus.EFFECTIVE:
        if not can_reinstate_contract(user):
            problems["status"] = str(MSG_REINSTATE)
    return problems


def transferee_message(code: str) -> str:
    return str(MSG_TRANSFEREE_SHARED) % {"code": code}


def raise_problems(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)
