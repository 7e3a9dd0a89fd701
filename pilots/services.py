"""Writes of the pilot bases. Pages, API, import, admin, commands and the demo seeder call these.

Each service checks the policy (``pilots.policies``: ``PermissionDenied`` for an act the user may
not perform, a ``ValidationError`` naming the field for a value refused), validates
(``full_clean``), writes in one transaction with a history reason, refuses a stale ``version``
(``StaleVersionError``) and notifies the other side of a request (``pilots.events``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import update_change_reason

from achievements.choices import AchievementStatus
from achievements.services import achievement_update
from core.exceptions import check_version
from notifications.services import notify
from reviews import services as review_services
from reviews.choices import ReviewStatus

from . import evaluation, events, policies, rubric_defaults, selectors
from .choices import BaseStatus, Outcome, RequestStatus
from .models import (
    LARGE_SITE_AREA_M2,
    LARGE_STAFF_COUNT,
    BaseEvaluation,
    BaseFund,
    BaseRating,
    BaseStatusChange,
    PerformanceReport,
    PilotBase,
    PilotRequest,
    Rubric,
    RubricBand,
    RubricIndicator,
)

MSG_CONFIRM_AREA = gettext_lazy("场地面积超过1,000,000平方米，请核对后勾选“确认数值无误”再保存。")
MSG_CONFIRM_STAFF = gettext_lazy("专职服务人员超过10,000人，请核对后勾选“确认数值无误”再保存。")


def _history(instance, acting_user, reason: str) -> None:
    update_change_reason(instance, reason)


def _constraint_message(model, name: str) -> str:
    """The readable message of one of ``model``'s named constraints (the refusal when a save lost a
    race to another one and the database constraint, not the checks before it, caught it)."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    return str(constraint.violation_error_message)


def _large_figures(fields: dict, confirmed: bool) -> None:
    """An area above 1,000,000 m² or staff above 10,000 need the explicit confirmation."""
    if confirmed:
        return
    errors = {}
    area = fields.get("site_area_m2")
    if area is not None and Decimal(area) > LARGE_SITE_AREA_M2:
        errors["site_area_m2"] = str(MSG_CONFIRM_AREA)
    staff = fields.get("staff_count")
    if staff is not None and staff > LARGE_STAFF_COUNT:
        errors["staff_count"] = str(MSG_CONFIRM_STAFF)
    if errors:
        raise ValidationError(errors)


# --- the register ---------------------------------------------------------------------------------


@transaction.atomic
def base_create(
    *, acting_user, clusters=(), services=(), confirmed_large: bool = False, synthetic: bool = False, **fields
) -> PilotBase:
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    _large_figures(fields, confirmed_large)
    base = PilotBase(synthetic=synthetic, **fields)
    base._history_user = acting_user
    base.full_clean()
    base.save()
    base.clusters.set(clusters)
    base.services.set(services)
    _history(base, acting_user, _("创建"))
    BaseStatusChange.objects.create(
        base=base,
        status=base.status,
        effective_on=datetime.date(base.designated_year, 1, 1),
        reason=_("认定"),
        recorded_by=acting_user,
    )
    return base


@transaction.atomic
def base_update(
    *,
    base: PilotBase,
    acting_user,
    expected_version: int | None = None,
    confirmed_large: bool = False,
    reason: str = "",
    **fields,
) -> PilotBase:
    """Change a base. Its operator may change only ``policies.OPERATOR_FIELDS``; staff all. The
    status changes through ``base_set_status`` (with the day it takes effect)."""
    current = PilotBase.objects.select_for_update().get(pk=base.pk)
    policies.require(policies.can_edit_base(acting_user, current), policies.MSG_NOT_OPERATOR)
    check_version(current, expected_version)
    if not policies.can_manage_register(acting_user):
        refused = {
            name: str(policies.MSG_STAFF_ONLY)
            for name, value in fields.items()
            if name not in policies.OPERATOR_FIELDS and _differs(current, name, value)
        }
        if refused:
            raise ValidationError(refused)
    fields.pop("status", None)
    changed_large = {
        k: v for k, v in fields.items() if k in ("site_area_m2", "staff_count") and _differs(current, k, v)
    }
    _large_figures(changed_large, confirmed_large)
    clusters, services = fields.pop("clusters", None), fields.pop("services", None)
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1
    current._history_user = acting_user if isinstance(acting_user, models.Model) else None
    current.full_clean(exclude=["version"])
    current.save()
    if clusters is not None:
        current.clusters.set(clusters)
    if services is not None:
        current.services.set(services)
    _history(current, acting_user, reason or _("修改"))
    return current


def _differs(current, name, value) -> bool:
    if name in ("clusters", "services"):
        return {getattr(x, "pk", x) for x in value} != set(
            getattr(current, name).values_list("pk", flat=True)
        )
    return getattr(current, name) != value


@transaction.atomic
def base_set_status(
    *,
    base: PilotBase,
    acting_user,
    status: str,
    effective_on: datetime.date,
    reason: str,
    expected_version=None,
) -> PilotBase:
    """Suspend, revoke or reactivate a base from a day on; the change is kept in the status history."""
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写原因（将记入状态记录）。")})
    if status not in BaseStatus.values:
        raise ValidationError({"status": _("基地状态无效。")})
    current = PilotBase.objects.select_for_update().get(pk=base.pk)
    check_version(current, expected_version)
    if status == current.status:
        raise ValidationError({"status": _("基地已是该状态。")})
    change = BaseStatusChange(
        base=current, status=status, effective_on=effective_on, reason=reason, recorded_by=acting_user
    )
    change.full_clean()
    if effective_on.year < current.designated_year:
        raise ValidationError({"effective_on": _("生效日期不能早于认定年份。")})
    change.save()
    current.status = status
    current.version += 1
    current._history_user = acting_user
    current.save()
    _history(
        current,
        acting_user,
        _("状态改为%(status)s：%(reason)s") % {"status": current.get_status_display(), "reason": reason},
    )
    return current


@transaction.atomic
def fund_record(
    *, base: PilotBase, year: int, amount, acting_user, note: str = "", synthetic: bool = False
) -> BaseFund:
    """Record (or correct) the provincial funds a base received in a year."""
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    fund = BaseFund.objects.select_for_update().filter(base=base, year=year).first()
    created = fund is None
    if created:
        fund = BaseFund(base=base, year=year, synthetic=synthetic)
    fund.amount, fund.note = amount, note
    fund._history_user = acting_user
    fund.full_clean()
    fund.save()
    _history(fund, acting_user, _("登记") if created else _("修改"))
    return fund


# --- performance reports --------------------------------------------------------------------------


@transaction.atomic
def report_create(
    *, base: PilotBase, year: int, acting_user, achievements=(), synthetic: bool = False, **figures
) -> PerformanceReport:
    """Open the base's report for a year as a draft with its figures (the operator, or the system).
    A year that already has a report is refused: a draft or returned report is edited, an accepted
    one can only be corrected by a new revision."""
    if not policies.can_file_report(acting_user, base):
        raise PermissionDenied(policies.MSG_NOT_OPERATOR)
    current = PerformanceReport.objects.filter(base=base, year=year, is_current=True).first()
    if current is not None:
        if current.status == ReviewStatus.ACCEPTED:
            message = _("该基地%(year)s年度的报告已审核通过，只能发起更正（新修订版）。")
        else:
            message = _("该基地%(year)s年度已有绩效报告（%(state)s），请修改该报告。")
        raise ValidationError({"year": message % {"year": year, "state": current.get_status_display()}})
    report = PerformanceReport(base=base, year=year, synthetic=synthetic, **figures)
    report.full_clean()
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            report.save()
            report.achievements.set(achievements)
    except IntegrityError:
        # Opened by someone else between the checks above and the insert (two saves at once).
        if not PerformanceReport.objects.filter(base=base, year=year, is_current=True).exists():
            raise
        raise ValidationError(
            {"year": _constraint_message(PerformanceReport, "performancereport_one_current")}
        ) from None
    return report


def report_update(
    *, report: PerformanceReport, acting_user, expected_version=None, achievements=None, **figures
):
    """Change an editable (draft or returned) report: the review workflow's own update (owner
    only, locked states refused), and the linked achievements."""
    with transaction.atomic():
        updated = review_services.document_update(
            document=report, acting_user=acting_user, changes=figures, expected_version=expected_version
        )
        if achievements is not None:
            updated.achievements.set(achievements)
    return updated


def report_transition(
    *, report: PerformanceReport, action: str, acting_user, note="", comments=(), expected_version=None
):
    return review_services.document_transition(
        document=report,
        action=action,
        acting_user=acting_user,
        expected_version=expected_version,
        note=note,
        comments=comments,
    )


def report_revise(
    *, report: PerformanceReport, acting_user, expected_version: int | None = None, note: str = ""
) -> PerformanceReport:
    """A correction after acceptance: the next revision (a draft), with the same linked achievements.
    ``expected_version`` (the version the caller read) is compared under the row lock."""
    with transaction.atomic():
        tested = list(report.achievements.all())
        revised = review_services.document_revise(
            document=report, acting_user=acting_user, expected_version=expected_version, note=note
        )
        revised.achievements.set(tested)
    return revised


@transaction.atomic
def rating_save(*, base: PilotBase, year: int, management, reputation, acting_user, note="", synthetic=False):
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    rating = BaseRating.objects.filter(base=base, year=year).first() or BaseRating(
        base=base, year=year, synthetic=synthetic
    )
    rating.management, rating.reputation, rating.note = management, reputation, note
    rating._history_user = acting_user
    rating.full_clean()
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            rating.save()
    except IntegrityError:
        # The year's rating was created by someone else between the lookup above and the insert.
        if rating.pk is not None or not BaseRating.objects.filter(base=base, year=year).exists():
            raise
        raise ValidationError({"year": _constraint_message(BaseRating, "baserating_one_per_year")}) from None
    return rating


# --- the rubric and the evaluation ---------------------------------------------------------------


def rubric_problems(rubric: Rubric) -> list[str]:
    """What makes a rubric unusable: weights not adding up to 100, a range table empty or giving
    more points than the indicator's weight. A table need not start at 0: a value below its first
    row earns 0 (``RubricBand``, docs/pilots.md)."""
    problems = []
    indicators = list(rubric.indicators.prefetch_related("bands"))
    total = sum((i.weight for i in indicators), Decimal(0))
    if total != 100:
        problems.append(_("各指标分值之和应为100，现为%(total)s。") % {"total": total})
    for indicator in indicators:
        bands = sorted(indicator.bands.all(), key=lambda b: b.lower)
        if not bands:
            problems.append(_("指标“%(name)s”没有分档。") % {"name": indicator.name})
            continue
        over = [b for b in bands if b.points > indicator.weight]
        if over:
            problems.append(
                _("指标“%(name)s”的分档得分不能超过其分值%(weight)s。")
                % {"name": indicator.name, "weight": indicator.weight}
            )
    return problems


@transaction.atomic
def rubric_for_year(*, year: int, acting_user) -> Rubric:
    """The rubric of ``year``: the existing one, else a copy of the latest earlier one, else the
    shipped default (``rubric_defaults``)."""
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    existing = Rubric.objects.filter(year=year).first()
    if existing:
        return existing
    source = Rubric.objects.filter(year__lt=year).order_by("-year").first()
    if source is not None:
        rubric = Rubric(
            year=year,
            title=source.title,
            reference=source.reference,
            top_share=source.top_share,
            excellent_min=source.excellent_min,
            good_min=source.good_min,
            pass_min=source.pass_min,
        )
        rows = [
            (
                i.code,
                i.name,
                i.group,
                i.source,
                i.weight,
                [(b.lower, b.points) for b in i.bands.all()],
                i.order,
            )
            for i in source.indicators.prefetch_related("bands")
        ]
    else:
        rubric = Rubric(
            year=year,
            title=rubric_defaults.TITLE,
            reference=rubric_defaults.REFERENCE,
            top_share=Decimal(rubric_defaults.TOP_SHARE),
            **rubric_defaults.LINES,
        )
        rows = [(*row, n * 10) for n, row in enumerate(rubric_defaults.INDICATORS, start=1)]
    rubric._history_user = acting_user
    rubric.full_clean()
    rubric.save()
    for code, name, group, source_, weight, bands, order in rows:
        indicator = RubricIndicator.objects.create(
            rubric=rubric,
            code=code,
            name=name,
            group=group,
            source=source_,
            weight=Decimal(str(weight)),
            order=order,
        )
        RubricBand.objects.bulk_create(
            RubricBand(indicator=indicator, lower=Decimal(str(lower)), points=Decimal(str(points)))
            for lower, points in bands
        )
    _history(
        rubric,
        acting_user,
        _("创建（复制自%(source)s）") % {"source": source.year if source else _("默认方案")},
    )
    return rubric


RUBRIC_FIELDS = ("title", "reference", "top_share", "excellent_min", "good_min", "pass_min")


@transaction.atomic
def rubric_update(*, rubric: Rubric, acting_user, expected_version=None, **fields) -> Rubric:
    """Change a year's rubric: its title, reference, the top share of 优秀 and the grade lines."""
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    current = Rubric.objects.select_for_update().get(pk=rubric.pk)
    check_version(current, expected_version)
    for name in RUBRIC_FIELDS:
        if name in fields:
            setattr(current, name, fields[name])
    current.version += 1
    current._history_user = acting_user
    current.full_clean(exclude=["version"])
    current.save()
    _history(current, acting_user, _("修改评价方案"))
    return current


@transaction.atomic
def band_set(
    *, indicator: RubricIndicator, bands: list[tuple], weight=None, acting_user, expected_version=None
):
    """Replace an indicator's range table (and optionally its weight): a new version of the year's
    rubric. Every value is checked (a finite number the column holds) before anything is written."""
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    rubric = Rubric.objects.select_for_update().get(pk=indicator.rubric_id)
    check_version(rubric, expected_version)
    if not bands:
        raise ValidationError({"bands": _("请至少填写一个分档。")})
    new_weight = indicator.weight
    if weight is not None:
        try:
            new_weight = RubricIndicator._meta.get_field("weight").clean(weight, indicator)
        except ValidationError as exc:
            raise ValidationError({"weight": exc.messages}) from None
    new_bands = []
    for n, (lower, points) in enumerate(bands, start=1):
        band = RubricBand(indicator=indicator, lower=lower, points=points)
        try:  # numbers the columns hold: nan, inf and too many digits are refused here
            band.full_clean(exclude=["indicator"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError(
                {"bands": [_("第%(n)s档：%(message)s") % {"n": n, "message": m} for m in exc.messages]}
            ) from None
        if band.points > new_weight:
            raise ValidationError(
                {"bands": _("分档得分不能超过该指标的分值%(weight)s。") % {"weight": new_weight}}
            )
        new_bands.append(band)
    lowers = [band.lower for band in new_bands]
    if len(set(lowers)) != len(lowers):
        raise ValidationError({"bands": _("分档下限不能重复。")})
    if weight is not None:
        indicator.weight = new_weight
        indicator.save()
    indicator.bands.all().delete()
    RubricBand.objects.bulk_create(new_bands)
    rubric.version += 1
    rubric._history_user = acting_user
    rubric.save()
    _history(rubric, acting_user, _("修改指标“%(name)s”的分档") % {"name": indicator.name})
    return rubric


@transaction.atomic
def evaluate_year(*, year: int, acting_user) -> list[BaseEvaluation]:
    """Score and grade every base with an accepted report for ``year`` with the year's rubric;
    running it again replaces the year's evaluations (same inputs, same result)."""
    policies.require(policies.can_manage_register(acting_user), policies.MSG_STAFF_ONLY)
    rubric = rubric_for_year(year=year, acting_user=acting_user)
    problems = rubric_problems(rubric)
    if problems:
        raise ValidationError({"rubric": problems})
    spec = selectors.rubric_spec(rubric)
    scored = {}
    for base, base_figures, report_figures, rating in selectors.evaluation_inputs(year):
        values = evaluation.figures(base=base_figures, report=report_figures, rating=rating)
        scored[base.pk] = (base, evaluation.score(spec, values))
    graded = evaluation.grade_all(spec, {pk: s.score for pk, (_b, s) in scored.items()})
    BaseEvaluation.objects.filter(year=year).delete()
    rows = [
        BaseEvaluation(
            base=base,
            year=year,
            rubric=rubric,
            score=s.score,
            rank=graded[pk][0],
            grade=graded[pk][1],
            lines=s.lines,
        )
        for pk, (base, s) in scored.items()
    ]
    return BaseEvaluation.objects.bulk_create(rows)


# --- pilot-test requests --------------------------------------------------------------------------


def _notify(event: str, request: PilotRequest, acting_user, *, unit_id) -> None:
    notify(
        event=event,
        obj=request,
        unit=unit_id,
        actor=acting_user,
        context={
            "achievement": request.achievement.title,
            "base": request.base.name if request.base_id else "",
            "reason": request.decline_reason,
        },
    )


def _save_request(request: PilotRequest, acting_user, reason: str) -> PilotRequest:
    request.version += 1
    request._history_user = acting_user
    request.full_clean(exclude=["version"])
    request.save()
    _history(request, acting_user, reason)
    return request


def _locked(request: PilotRequest, expected_version) -> PilotRequest:
    current = (
        PilotRequest.objects.select_for_update(of=("self",))
        .select_related("achievement", "base")
        .get(pk=request.pk)
    )
    check_version(current, expected_version)
    return current


def _require_status(request: PilotRequest, *allowed) -> None:
    if request.status not in allowed:
        raise ValidationError(
            {
                "status": _("申请当前状态为“%(status)s”，不能办理此项。")
                % {"status": request.get_status_display()}
            }
        )


@transaction.atomic
def request_create(
    *, achievement, service, description: str, acting_user, base=None, enterprise: str = "", synthetic=False
) -> PilotRequest:
    """Ask for a pilot test of an achievement; with ``base`` it is sent at once, otherwise the
    requester picks one of the suggestions (``request_send``)."""
    if not policies.can_request(acting_user, achievement.unit_id):
        raise PermissionDenied(policies.MSG_NOT_REQUESTER)
    if achievement.status != AchievementStatus.ACTIVE:
        raise ValidationError({"achievement": _("该成果已撤回，不能申请中试。")})
    if enterprise and not policies.can_manage_register(acting_user):
        raise ValidationError({"enterprise": _("只有厅工作人员可以代企业申请。")})
    request = PilotRequest(
        achievement=achievement,
        service=service,
        description=description,
        enterprise=enterprise,
        requested_by=acting_user,
        status=RequestStatus.SUBMITTED,
        trl_before=achievement.trl,
        synthetic=synthetic,
        version=0,
    )
    request = _save_request(request, acting_user, _("提出申请"))
    if base is not None:
        request = request_send(request=request, base=base, acting_user=acting_user)
    return request


@transaction.atomic
def request_send(
    *, request: PilotRequest, base: PilotBase, acting_user, expected_version=None
) -> PilotRequest:
    """Send the request to a base (one of the suggestions or any active base)."""
    current = _locked(request, expected_version)
    policies.require(policies.can_act_as_requester(acting_user, current), policies.MSG_NOT_REQUESTER)
    _require_status(current, RequestStatus.SUBMITTED)
    if current.base_id:
        raise ValidationError({"base": _("申请已发送至基地，请等待答复。")})
    if base.status != BaseStatus.ACTIVE:
        raise ValidationError({"base": _("该基地不在运行状态，不能接收申请。")})
    if current.achievement.status != AchievementStatus.ACTIVE:
        raise ValidationError({"achievement": _("该成果已撤回，不能申请中试。")})
    current.base = base
    current.submitted_at = timezone.now()
    _save_request(current, acting_user, _("发送至基地 %(code)s") % {"code": base.code})
    _notify(events.REQUEST_SENT, current, acting_user, unit_id=base.operator_id)
    return current


@transaction.atomic
def request_answer(
    *, request: PilotRequest, accept: bool, acting_user, reason: str = "", expected_version=None
):
    """The operator accepts or declines (with a reason) a request sent to their base."""
    current = _locked(request, expected_version)
    policies.require(policies.can_act_as_operator(acting_user, current), policies.MSG_NOT_OPERATOR)
    _require_status(current, RequestStatus.SUBMITTED)
    if not current.base_id:
        raise ValidationError({"base": _("申请尚未发送至基地。")})
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": _("请填写拒绝原因。")})
    current.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    current.decline_reason = "" if accept else reason
    current.answered_at = timezone.now()
    _save_request(current, acting_user, _("受理") if accept else _("拒绝：%(reason)s") % {"reason": reason})
    event = events.REQUEST_ACCEPTED if accept else events.REQUEST_DECLINED
    _notify(event, current, acting_user, unit_id=current.achievement.unit_id)
    return current


@transaction.atomic
def request_start(*, request: PilotRequest, on: datetime.date, acting_user, expected_version=None):
    current = _locked(request, expected_version)
    policies.require(policies.can_act_as_operator(acting_user, current), policies.MSG_NOT_OPERATOR)
    _require_status(current, RequestStatus.ACCEPTED)
    accepted_on = timezone.localtime(current.answered_at).date() if current.answered_at else None
    if accepted_on and on < accepted_on:
        raise ValidationError(
            {"started_on": _("开始日期不能早于受理日期（%(date)s）。") % {"date": accepted_on.isoformat()}}
        )
    current.status = RequestStatus.STARTED
    current.started_on = on
    _save_request(current, acting_user, _("开始中试"))
    _notify(events.REQUEST_STARTED, current, acting_user, unit_id=current.achievement.unit_id)
    return current


@transaction.atomic
def request_complete(
    *,
    request: PilotRequest,
    on: datetime.date,
    outcome: str,
    acting_user,
    note: str = "",
    trl_after: int | None = None,
    expected_version=None,
) -> PilotRequest:
    """Record completion and outcome. A successful or partly successful test may raise the
    achievement's TRL: the registry's own service writes it (history, statistics recomputed)."""
    current = _locked(request, expected_version)
    policies.require(policies.can_act_as_operator(acting_user, current), policies.MSG_NOT_OPERATOR)
    _require_status(current, RequestStatus.STARTED)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("请选择中试结果。")})
    achievement = current.achievement
    if trl_after is not None:
        if outcome == Outcome.FAILED:
            raise ValidationError({"trl_after": _("中试未达到目标时不能提高技术成熟度。")})
        if not 1 <= trl_after <= 9:
            raise ValidationError({"trl_after": _("技术成熟度应为1至9的整数。")})
        if trl_after <= achievement.trl:
            raise ValidationError(
                {"trl_after": _("中试后技术成熟度应高于成果当前的%(trl)s级。") % {"trl": achievement.trl}}
            )
    current.status = RequestStatus.COMPLETED
    current.completed_on = on
    current.outcome = outcome
    current.outcome_note = note
    current.trl_after = trl_after
    _save_request(
        current, acting_user, _("完成中试：%(outcome)s") % {"outcome": current.get_outcome_display()}
    )
    if trl_after is not None:
        # The registry's service, as the system (the operator is not a user of the achievement's
        # unit): history reason names the base and the request; statistics are announced.
        achievement_update(
            achievement=achievement,
            acting_user=None,
            reason=_("中试完成（%(base)s，中试申请 %(pk)s）：技术成熟度 %(old)s → %(new)s")
            % {"base": current.base.name, "pk": current.pk, "old": achievement.trl, "new": trl_after},
            trl=trl_after,
        )
    _notify(events.REQUEST_COMPLETED, current, acting_user, unit_id=achievement.unit_id)
    return current


@transaction.atomic
def request_cancel(*, request: PilotRequest, acting_user, expected_version=None) -> PilotRequest:
    current = _locked(request, expected_version)
    policies.require(policies.can_act_as_requester(acting_user, current), policies.MSG_NOT_REQUESTER)
    _require_status(current, RequestStatus.SUBMITTED)
    current.status = RequestStatus.CANCELLED
    _save_request(current, acting_user, _("撤销申请"))
    if current.base_id:
        _notify(events.REQUEST_CANCELLED, current, acting_user, unit_id=current.base.operator_id)
    return current
