"""Writes to the registry. Views, serializers, admin actions and importers call these.

Each service first checks who may do it (``achievements.policies``: ``PermissionDenied`` for an act
the user may not perform, a ``ValidationError`` naming the field for a change they may not make),
then validates (``full_clean``), writes in one transaction with a history entry (the
acting user and a reason), and announces the change after commit (``signals.records_changed``).
Updates take the ``version`` the caller read: an older version is refused (``StaleVersionError``).
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import update_change_reason

from core.exceptions import check_version
from core.history import CHANGE_REASON_MAX_LENGTH
from notifications.services import notify

from . import events, policies
from .choices import AchievementStatus, TransformationStatus
from .models import Achievement, Transferee, Transformation, Unit
from .signals import records_changed


def _years_of(*dates: datetime.date | None) -> set[int]:
    return {d.year for d in dates if d}


def announce_change(
    *, unit_ids: Iterable[int] = (), years: Iterable[int] = (), transferee_ids: Iterable[int] = ()
) -> None:
    """The one rule for which statistics cells a write affects; every write path calls it.

    Cells are (unit, year) pairs, "year" meaning "this year's figures and every later year's":

    - ``unit_ids`` × ``years``: the units whose records changed (before and after a move) and the
      calendar years of every changed record's dates, old and new (registration, withdrawal,
      signature). Empty ``years``: every year of those units (a unit's type or region changed).
    - ``transferee_ids``: transferees whose region changed, so whether their contracts are local
      (``is_local``) flipped: every unit with a contract of theirs, in the years those contracts
      were signed (read now, inside the writing transaction).

    The cells are sent with ``records_changed`` once the surrounding transaction commits (nothing
    is sent for a rolled-back write, or when no cell is affected). The statistics engine turns a
    (unit, year) into the cells it rebuilds (``dashboards.engine._affected_years``: it also reaches
    back to older contracts of achievements registered from that year on).
    """
    years = set(years)
    every_year = not years
    cells: dict[int, set[int] | None] = {}  # None: every year
    for unit_id in set(unit_ids):
        if unit_id is not None:
            cells[unit_id] = None if every_year else set(years)
    transferee_ids = list(set(transferee_ids))
    if transferee_ids:
        signed = (
            Transformation.objects.filter(transferee_id__in=transferee_ids)
            .order_by()
            .values_list("unit_id", "signed_on")
            .distinct()
        )
        for unit_id, signed_on in signed:
            if unit_id not in cells:
                cells[unit_id] = set()
            if cells[unit_id] is not None:
                cells[unit_id].add(signed_on.year)
    if not cells:
        return
    # Sent as {unit id: years}, an empty set meaning every year (``unit_ids`` and ``years`` also
    # carry the union, for receivers that need no more).
    cells = {unit_id: frozenset(unit_years or ()) for unit_id, unit_years in cells.items()}
    union = set() if any(not y for y in cells.values()) else set().union(*cells.values())
    transaction.on_commit(
        lambda: records_changed.send(
            sender=Achievement,
            unit_ids=set(cells),
            years=union,
            cells=cells,
        )
    )


def edit_reason(change_reason: str | None = "", *, base: str | None = None) -> str:
    """The history reason of an edit: ``base`` (default 修改), followed by the reason the user gave
    for the change (修改原因, optional) when there is one. A reason longer than
    ``CHANGE_REASON_MAX_LENGTH`` is refused naming the field ``change_reason``."""
    base = base or _("修改")
    change_reason = " ".join((change_reason or "").split())
    if not change_reason:
        return base
    if len(change_reason) > CHANGE_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "change_reason": _("修改原因最多 %(max)d 个字（当前 %(n)d 个）。")
                % {"max": CHANGE_REASON_MAX_LENGTH, "n": len(change_reason)}
            }
        )
    return _("%(base)s：%(reason)s") % {"base": base, "reason": change_reason}


def _save(instance, *, acting_user, reason: str) -> None:
    instance._history_user = acting_user
    instance.full_clean()
    instance.save()
    update_change_reason(instance, reason)


def _lock(model, pk: int):
    """Row lock on one record (a no-op on SQLite, which serialises writers anyway)."""
    return model.objects.select_for_update().get(pk=pk)


# --- achievements ---------------------------------------------------------------------------


def _require_unit(acting_user, unit_id) -> None:
    """Refuse a write on a record of a unit that is not the user's (403)."""
    if policies.is_staff(acting_user):
        return
    if policies.unit_of(acting_user) is None:
        raise PermissionDenied(policies.MSG_NO_UNIT)
    policies.require(policies.owns(acting_user, unit_id), policies.MSG_OTHER_UNIT)


def _achievement_facts(achievement: Achievement) -> dict:
    return {
        "unit_id": achievement.unit_id,
        "convertible": achievement.convertible,
        "status": achievement.status,
        "merged": achievement.merged_into_id is not None,
    }


def _achievement_new_values(fields: dict) -> dict:
    new = {k: fields[k] for k in ("convertible", "status") if k in fields}
    if "unit" in fields:
        new["unit_id"] = fields["unit"].pk if fields["unit"] is not None else None
    elif "unit_id" in fields:
        new["unit_id"] = fields["unit_id"]
    return new


@transaction.atomic
def achievement_create(*, acting_user, **fields) -> Achievement:
    achievement = Achievement(**fields)
    _require_unit(acting_user, achievement.unit_id)
    policies.raise_problems(
        policies.achievement_problems(acting_user, old=None, new=_achievement_new_values(fields))
    )
    _save(achievement, acting_user=acting_user, reason=_("创建"))
    announce_change(unit_ids=[achievement.unit_id], years=_years_of(achievement.registered_on))
    return achievement


def _versioned_update(
    model,
    *,
    pk: int,
    acting_user,
    expected_version,
    reason: str,
    fields: dict,
    years_of,
    check=None,
    change_reason: str = "",
):
    """Lock the row, refuse a stale version, check the policy (``check(current)``), apply
    ``fields``, validate, save with a history reason (``reason`` or 修改, with the user's
    ``change_reason`` after it), and announce the units and years the record counted in before and
    after the change."""
    history_reason = edit_reason(change_reason, base=reason or None)
    current = _lock(model, pk)
    check_version(current, expected_version)
    if check is not None:
        check(current)
    old_years, old_unit = years_of(current), current.unit_id
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1
    current._history_user = acting_user
    current.full_clean(exclude=["version"])
    current.save()
    current.refresh_from_db()
    update_change_reason(current, history_reason)
    announce_change(unit_ids={old_unit, current.unit_id}, years=old_years | years_of(current))
    return current


@transaction.atomic
def achievement_update(
    *,
    achievement: Achievement,
    acting_user,
    expected_version: int | None = None,
    reason: str = "",
    change_reason: str = "",
    **fields,
) -> Achievement:
    """Edit an achievement. ``reason``: the history reason a curation act sets (撤回…, default
    修改); ``change_reason``: the reason the user gave for the edit (修改原因, optional), kept after
    it in the history."""
    def check(current: Achievement) -> None:
        _require_unit(acting_user, current.unit_id)
        old, new = _achievement_facts(current), _achievement_new_values(fields)
        if new.get("unit_id", old["unit_id"]) != old["unit_id"]:
            old["has_contracts"] = current.transformations.exists()
        policies.raise_problems(policies.achievement_problems(acting_user, old=old, new=new))

    return _versioned_update(
        Achievement,
        pk=achievement.pk,
        acting_user=acting_user,
        expected_version=expected_version,
        reason=reason,
        fields=fields,
        years_of=lambda a: _years_of(a.registered_on, a.withdrawn_on),
        check=check,
        change_reason=change_reason,
    )


@transaction.atomic
def achievement_withdraw(
    *,
    achievement: Achievement,
    acting_user,
    on: datetime.date,
    reason: str,
    expected_version: int | None = None,
) -> Achievement:
    """Withdraw (never delete) an achievement from the registry, with the reason in its history."""
    _require_unit(acting_user, achievement.unit_id)
    reason = policies.require_reason(reason)
    withdrawn = achievement_update(
        achievement=achievement,
        acting_user=acting_user,
        expected_version=expected_version,
        reason=_("撤回：%(reason)s") % {"reason": reason},
        status=AchievementStatus.WITHDRAWN,
        withdrawn_on=on,
    )
    if policies.is_staff(acting_user):  # the unit's users are told when staff withdraw their record
        _notify_unit(events.WITHDRAWN, withdrawn, acting_user, reason=reason)
    return withdrawn


def _notify_unit(event: str, achievement: Achievement, acting_user, **context) -> None:
    """Tell the users of the record's unit what staff did to it (docs/notifications.md)."""
    notify(
        event=event,
        obj=achievement,
        actor=acting_user,
        context={"ref": achievement.ref, "title": achievement.title, **context},
    )


@transaction.atomic
def achievement_restore(*, achievement: Achievement, acting_user, expected_version: int | None = None):
    policies.require(policies.can_restore(acting_user, merged=False), policies.MSG_RESTORE)
    restored = achievement_update(
        achievement=achievement,
        acting_user=acting_user,
        expected_version=expected_version,
        reason=_("恢复"),
        status=AchievementStatus.ACTIVE,
        withdrawn_on=None,
    )
    _notify_unit(events.RESTORED, restored, acting_user)
    return restored


@transaction.atomic
def achievement_set_convertible(
    *, achievement: Achievement, acting_user, convertible: bool, expected_version: int | None = None
) -> Achievement:
    policies.require(policies.can_set_convertible(acting_user), policies.MSG_CONVERTIBLE)
    updated = achievement_update(
        achievement=achievement,
        acting_user=acting_user,
        expected_version=expected_version,
        reason=_("标记为可转化") if convertible else _("取消可转化标记"),
        convertible=convertible,
    )
    if convertible:
        _notify_unit(events.CONVERTIBLE, updated, acting_user)
    return updated


@transaction.atomic
def achievement_merge(
    *, keep: Achievement, duplicate: Achievement, acting_user, reason: str, on: datetime.date | None = None
) -> Achievement:
    """Merge a duplicate into the record kept: its contracts move over, the duplicate is withdrawn
    and points at the kept record. Both changes are in the history, with the reason."""
    policies.require(policies.can_merge(acting_user), policies.MSG_MERGE)
    reason = policies.require_reason(reason)
    if keep.pk == duplicate.pk:
        raise ValueError(_("不能将成果与其自身合并。"))
    # Lock both rows in primary-key order so that two concurrent merges cannot deadlock.
    locked = {
        a.pk: a
        for a in Achievement.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk]).order_by("pk")
    }
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if keep.unit_id != duplicate.unit_id:
        raise ValidationError({"duplicate": _("只能合并同一单位的重复成果。")})
    moved_years = set()
    for contract in Transformation.objects.select_for_update().filter(achievement=duplicate).order_by("pk"):
        moved_years |= _years_of(contract.signed_on)
        contract.achievement = keep
        contract.version += 1
        contract._history_user = acting_user
        contract.save()
        update_change_reason(
            contract, _("随成果合并转移至 %(ref)s：%(reason)s") % {"ref": keep.ref, "reason": reason}
        )
    duplicate.status = AchievementStatus.WITHDRAWN
    duplicate.withdrawn_on = max(on or datetime.date.today(), duplicate.registered_on)
    duplicate.merged_into = keep
    duplicate.version += 1
    duplicate._history_user = acting_user
    duplicate.full_clean(exclude=["version"])
    duplicate.save()
    update_change_reason(
        duplicate, _("作为重复记录合并至 %(ref)s：%(reason)s") % {"ref": keep.ref, "reason": reason}
    )
    keep.version += 1
    keep._history_user = acting_user
    keep.save()
    update_change_reason(
        keep, _("合并重复记录 %(ref)s：%(reason)s") % {"ref": duplicate.ref, "reason": reason}
    )
    keep.refresh_from_db()
    announce_change(
        unit_ids=[keep.unit_id],
        years=moved_years | _years_of(duplicate.registered_on, duplicate.withdrawn_on, keep.registered_on),
    )
    _notify_unit(events.MERGED, keep, acting_user, duplicate=duplicate.ref, reason=reason)
    return keep


# --- transferees and contracts --------------------------------------------------------------


def transferee_usage(transferee_id: int, unit_id: int | None) -> tuple[bool, bool]:
    """(used by another unit's contract, used by a contract of ``unit_id``)."""
    contracts = Transformation.objects.filter(transferee_id=transferee_id)
    return (
        contracts.exclude(unit_id=unit_id).exists(),
        unit_id is not None and contracts.filter(unit_id=unit_id).exists(),
    )


@transaction.atomic
def transferee_upsert(
    *, code: str, name: str = "", region: str = "", acting_user=None, change_reason: str = ""
) -> Transferee:
    """The transferee with this credit code: linked as it is, created, or brought up to date.

    A blank name or region keeps the stored value (linking an existing transferee by its code). A
    unit user may create a transferee, link any, but change the name or region only of one that
    is theirs alone (``policies.can_change_transferee``). A change of region is announced for every
    unit with contracts of that transferee, in their years (its contracts' local status may change).
    """
    name, region = (name or "").strip(), (region or "").strip()
    transferee = Transferee.objects.select_for_update().filter(code=code).first()
    if transferee is None:
        if not policies.can_create_transferee(acting_user):
            raise PermissionDenied(policies.MSG_NO_UNIT)
        transferee = Transferee(code=code, name=name, region=region)
        _save(transferee, acting_user=acting_user, reason=_("创建"))
        return transferee
    name, region = name or transferee.name, region or transferee.region
    if (transferee.name, transferee.region) == (name, region):
        return transferee
    if not policies.is_staff(acting_user):
        other, own = transferee_usage(transferee.pk, policies.unit_of(acting_user))
        if not policies.can_change_transferee(acting_user, used_by_other_units=other, used_by_own_unit=own):
            message = policies.transferee_message(transferee.code)
            field = "name" if transferee.name != name else "region"
            raise ValidationError({field: message})
    region_changed = transferee.region != region
    transferee.name, transferee.region = name, region
    _save(transferee, acting_user=acting_user, reason=edit_reason(change_reason))
    if region_changed:
        # The region decides whether its contracts are local: every unit with one, in its year.
        announce_change(transferee_ids=[transferee.pk])
    return transferee


@transaction.atomic
def transformation_create(*, acting_user, achievement: Achievement, **fields) -> Transformation:
    _require_unit(acting_user, achievement.unit_id)
    contract = Transformation(achievement=achievement, unit_id=achievement.unit_id, **fields)
    _save(contract, acting_user=acting_user, reason=_("创建"))
    announce_change(unit_ids=[contract.unit_id], years=_years_of(contract.signed_on))
    return contract


@transaction.atomic
def transformation_update(
    *,
    contract: Transformation,
    acting_user,
    expected_version: int | None = None,
    reason: str = "",
    change_reason: str = "",
    **fields,
) -> Transformation:
    # A contract belongs to its achievement's unit: moving it to another achievement moves the unit.
    if "achievement" in fields:
        fields["unit_id"] = fields["achievement"].unit_id
    elif "achievement_id" in fields:
        fields["unit_id"] = Achievement.objects.values_list("unit_id", flat=True).get(
            pk=fields["achievement_id"]
        )

    def check(current: Transformation) -> None:
        _require_unit(acting_user, current.unit_id)
        new = {k: fields[k] for k in ("unit_id", "status") if k in fields}
        policies.raise_problems(
            policies.contract_problems(
                acting_user, old={"unit_id": current.unit_id, "status": current.status}, new=new
            )
        )

    return _versioned_update(
        Transformation,
        pk=contract.pk,
        acting_user=acting_user,
        expected_version=expected_version,
        reason=reason,
        fields=fields,
        years_of=lambda c: _years_of(c.signed_on),
        check=check,
        change_reason=change_reason,
    )


def transformation_cancel(
    *, contract: Transformation, acting_user, reason: str, expected_version: int | None = None
) -> Transformation:
    """Cancel (解除) a contract, with the reason in its history; it stays but no longer counts."""
    _require_unit(acting_user, contract.unit_id)
    reason = policies.require_reason(reason)
    return transformation_update(
        contract=contract,
        acting_user=acting_user,
        expected_version=expected_version,
        reason=_("解除合同：%(reason)s") % {"reason": reason},
        status=TransformationStatus.CANCELLED,
    )


# --- units ----------------------------------------------------------------------------------


@transaction.atomic
def unit_create(*, acting_user, **fields) -> Unit:
    policies.require(policies.can_edit_units(acting_user), policies.MSG_UNITS)
    unit = Unit(**fields)
    _save(unit, acting_user=acting_user, reason=_("创建"))
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, acting_user, change_reason: str = "", **fields) -> Unit:
    policies.require(policies.can_edit_units(acting_user), policies.MSG_UNITS)
    history_reason = edit_reason(change_reason)
    current = _lock(Unit, unit.pk)
    old_unit_data = (current.type, current.region)
    for name, value in fields.items():
        setattr(current, name, value)
    _save(current, acting_user=acting_user, reason=history_reason)
    if old_unit_data != (current.type, current.region):
        # Type and region change the scopes every year of this unit's figures fall in.
        announce_change(unit_ids=[current.pk], years=set())
    return current
