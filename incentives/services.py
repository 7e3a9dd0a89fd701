"""Writes of the incentives app (and the evaluation's reads, which share its code with the preview).

- parameters: ``parameter_add`` (a new dated value; an existing value is never edited);
- rules: ``rule_set_status``;
- evaluation: ``evaluate_rule`` / ``evaluate_year`` (idempotent; approved, rejected and paid awards
  never change; a pending proposal that no longer qualifies is withdrawn with the reason);
  ``preview`` runs the same evaluation with changed parameters and writes nothing;
- approval and payment: ``awards_decide`` (bulk approve or reject with a comment),
  ``awards_mark_paid`` (a button, or ``paid_list_import`` of the finance office's list);
- use before transfer: ``listing_refresh`` (the monthly job), ``listing_justify``,
  ``listing_decide``.

Every write checks ``incentives.policies``, runs in one transaction, leaves a history row with the
acting user and a reason, and notifies the owning unit (``incentives.events``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from achievements.models import Achievement, Transformation
from core.exceptions import check_version
from core.validators import EARLIEST_RECORD_DATE, city_code, validate_record_date
from notifications.services import notify

from . import engine, events, policies
from .choices import (
    DECIDED_STATUSES,
    HOLDING_STATUSES,
    AwardStatus,
    JustificationStatus,
    ListingStatus,
    RuleKind,
    RuleStatus,
    Subject,
)
from .models import Award, Listing, ListingRun, Rule, RuleParameter
from .parameters import clean_value, parse_amount

DEFAULT_YEARS_AFTER_GRANT = 3
USE_BEFORE_TRANSFER_RULE = "use_before_transfer"
ART45_RULE = "art45_team_share"


def _history(obj, acting_user, reason: str) -> None:
    """The history row's user and reason (kept whole: the history's reason column is text)."""
    obj._history_user = acting_user
    obj._change_reason = str(reason)


# --- parameters --------------------------------------------------------------------------------


def parameter_values(rule: Rule, on: datetime.date, *, extra: tuple | None = None) -> tuple[dict, dict]:
    """The rule's parameters in force on ``on``: ({key: value}, {key: {"value", "valid_from"}}).
    ``extra`` = (key, value, valid_from) adds a value not yet saved (the preview)."""
    chosen: dict[str, tuple[datetime.date, object]] = {}
    rows = [(p.key, p.valid_from, p.value) for p in rule.parameters.all()]
    if extra is not None:
        rows = [r for r in rows if not (r[0] == extra[0] and r[1] == extra[2])] + [(extra[0], extra[2], extra[1])]
    for key, valid_from, value in rows:
        if valid_from <= on and (key not in chosen or chosen[key][0] < valid_from):
            chosen[key] = (valid_from, value)
    values = {key: value for key, (_from, value) in chosen.items()}
    snapshot = {key: {"value": value, "valid_from": d.isoformat()} for key, (d, value) in sorted(chosen.items())}
    return values, snapshot


def reference_date(year: int) -> datetime.date:
    """The day whose parameter values apply to an evaluated year: 31 December of that year."""
    return datetime.date(year, 12, 31)


def clean_valid_from(value: datetime.date | None) -> datetime.date:
    if value is None:
        raise ValidationError({"valid_from": [_("请填写起始日期。")]})
    if value < EARLIEST_RECORD_DATE or value.year > timezone.localdate().year + 1:
        raise ValidationError(
            {"valid_from": [_("起始日期应在1985-01-01至明年年底之间。")]}
        )
    return value


@transaction.atomic
def parameter_add(
    *, rule: Rule, key: str, value, valid_from: datetime.date, note: str = "", acting_user
) -> RuleParameter:
    """A new dated value of one of the rule's parameters (a change of policy). The values already
    recorded are never edited; a second value for the same date is refused, naming the date."""
    policies.require_manage(acting_user)
    cleaned = clean_value(key, value)
    valid_from = clean_valid_from(valid_from)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if rule.parameters.filter(key=key, valid_from=valid_from).exists():
        raise ValidationError(
            {"valid_from": [_("参数 %(key)s 在 %(date)s 已有取值；政策变化请录入新的起始日期。") % {
                "key": key, "date": valid_from.isoformat()}]}
        )
    parameter = RuleParameter(rule=rule, key=key, value=cleaned, valid_from=valid_from, note=note[:300],
                              created_by=acting_user if getattr(acting_user, "pk", None) else None)
    parameter.full_clean()
    parameter.save()
    rule.version += 1
    _history(rule, acting_user, _("新参数值：%(key)s = %(value)s，自 %(date)s 起") % {
        "key": key, "value": cleaned, "date": valid_from.isoformat()})
    rule.save(update_fields=["version", "updated_at"])
    return parameter


RULE_FIELDS = ("code", "name", "policy", "article", "kind", "subject", "beneficiary_kind", "valid_from",
               "valid_to", "description")


@transaction.atomic
def rule_create(*, acting_user, **fields) -> Rule:
    """A new rule, as a draft: its parameters are then added as dated values, previewed, and the
    rule activated (``rule_set_status``)."""
    policies.require_manage(acting_user)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({"__all__": [_("未知字段：%(f)s") % {"f": ", ".join(sorted(unknown))}]})
    rule = Rule(status=RuleStatus.DRAFT, **fields)
    if rule.valid_from is not None:
        clean_valid_from(rule.valid_from)
    rule.full_clean()
    _history(rule, acting_user, _("新建规则（草稿）"))
    rule.save()
    return rule


@transaction.atomic
def rule_set_status(*, rule: Rule, status: str, acting_user, expected_version: int | None = None) -> Rule:
    policies.require_manage(acting_user)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    check_version(rule, expected_version)
    if status not in RuleStatus.values:
        raise ValidationError({"status": [_("状态无效。")]})
    if status == RuleStatus.ACTIVE and rule.kind == RuleKind.PAYMENT:
        values, _snapshot = parameter_values(rule, timezone.localdate().replace(month=12, day=31))
        if not values.get("formula"):
            raise ValidationError({"status": [_("规则没有计算公式（formula），不能生效。")]})
    rule.status = status
    rule.version += 1
    _history(rule, acting_user, _("状态改为 %(status)s") % {"status": RuleStatus(status).label})
    rule.save()
    return rule


# --- subjects (the records a rule evaluates) ------------------------------------------------------


@dataclass
class SubjectInfo:
    """What an award row needs besides the engine's plain values."""

    contract_id: int | None = None
    unit_id: int | None = None
    pilot_base_code: str = ""
    beneficiary_name: str = ""
    city: str = ""


def _contract_subject(c: Transformation, kind: str) -> tuple[engine.Subject, SubjectInfo]:
    team = f"{c.unit.code}/{c.achievement.ref}"
    subject = engine.Subject(
        key=f"contract:{c.pk}",
        label=f"合同 {c.ref}",
        ref=c.ref,
        beneficiary={"transferee": c.transferee.code, "unit": c.unit.code, "team": team},
        unit_code=c.unit.code,
        unit_type=c.unit.type,
        mode=c.mode,
        status=c.status,
        local=c.transferee.is_local,  # the registry's own rule (a generated column)
        cluster=c.achievement.cluster.code if c.achievement.cluster_id else None,
        trl=c.achievement.trl,
        amount=c.amount,
        received=c.received,
        signed_on=c.signed_on,
    )
    names = {
        "transferee": (c.transferee.name, city_code(c.transferee.region)),
        "unit": (c.unit.name, city_code(c.unit.region)),
        "team": (f"{c.achievement.title}（{c.unit.name}）完成团队", city_code(c.unit.region)),
    }
    name, city = names.get(kind, names["unit"])
    return subject, SubjectInfo(contract_id=c.pk, unit_id=c.unit_id, beneficiary_name=name, city=city)


def pilot_base_grades(year: int) -> dict[str, str]:
    """The pilot bases' grades of ``year`` (``pilots.selectors.base_grades``, docs/pilots.md); an
    empty answer while the pilots app does not provide it."""
    try:
        from pilots.selectors import base_grades
    except ImportError:
        return {}
    return dict(base_grades(year))


def subjects_for(rule: Rule, year: int, params: dict, *, extra_keys=()) -> dict[str, tuple]:
    """The records ``rule`` evaluates for ``year``: {key: (engine.Subject, SubjectInfo)}. Contracts
    are narrowed in the database by the signing window, modes and unit types (the engine checks
    every condition again); ``extra_keys`` (the records of existing awards) are always included."""
    result = {}
    if rule.subject == Subject.PILOT_BASE:
        grades = pilot_base_grades(year)
        codes = sorted(set(grades) | {k.split(":", 1)[1] for k in extra_keys})
        bases = {}
        try:
            from pilots.models import PilotBase

            bases = {b.code: b for b in PilotBase.objects.filter(code__in=codes).select_related("operator")}
        except ImportError:  # pragma: no cover - the pilots app is installed with this one
            pass
        for code in codes:
            key, base = f"pilot_base:{code}", bases.get(code)
            result[key] = (
                engine.Subject(key=key, label=f"中试基地 {code}", ref=code, beneficiary={"pilot_base": code},
                               unit_code=base.operator.code if base else "", grade=grades.get(code)),
                SubjectInfo(pilot_base_code=code, beneficiary_name=base.name if base else code,
                            unit_id=base.operator_id if base else None, city=base.city if base else ""),
            )
        return result
    narrow = Q(status="effective")
    if params.get("signed_within_years") is not None:
        first, last = engine.window(year, params["signed_within_years"])
        narrow &= Q(signed_on__gte=first, signed_on__lte=last)
    if params.get("contract_modes") is not None:
        narrow &= Q(mode__in=params["contract_modes"])
    if params.get("unit_types") is not None:
        narrow &= Q(unit__type__in=params["unit_types"])
    ids = [int(k.split(":", 1)[1]) for k in extra_keys if k.startswith("contract:")]
    contracts = Transformation.objects.filter(narrow | Q(pk__in=ids)).select_related(
        "unit", "transferee", "achievement__cluster"
    )
    for contract in contracts:
        subject, info = _contract_subject(contract, rule.beneficiary_kind)
        result[subject.key] = (subject, info)
    return result


# --- evaluation -----------------------------------------------------------------------------------


@dataclass
class Evaluation:
    rule: Rule
    year: int
    parameters: dict
    outcomes: list = field(default_factory=list)
    infos: dict = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    @property
    def qualifying(self) -> list:
        return [o for o in self.outcomes if o.eligible]

    @property
    def total(self) -> Decimal:
        return sum((o.amount for o in self.qualifying), Decimal("0.00"))


def _evaluate(rule: Rule, year: int, *, extra=None, existing=None) -> Evaluation:
    values, snapshot = parameter_values(rule, reference_date(year), extra=extra)
    _require_formula(rule, year, values)
    if existing is None:
        existing = {a.subject_key: a for a in rule.awards.filter(year=year)}
    fixed = {
        key: (a.beneficiary_code, a.amount)
        for key, a in existing.items()
        if a.status in (AwardStatus.APPROVED, AwardStatus.PAID)
    }
    rejected = {key for key, a in existing.items() if a.status == AwardStatus.REJECTED}
    awarded_elsewhere = set(
        rule.awards.exclude(year=year).filter(status__in=HOLDING_STATUSES).values_list("subject_key", flat=True)
    )
    subjects = subjects_for(rule, year, values, extra_keys=list(existing))
    outcomes = engine.evaluate(
        [s for key, (s, _info) in subjects.items() if key not in rejected],
        values,
        year,
        beneficiary_kind=rule.beneficiary_kind,
        awarded_elsewhere=awarded_elsewhere,
        fixed=fixed,
    )
    return Evaluation(rule=rule, year=year, parameters=snapshot, outcomes=outcomes,
                      infos={k: info for k, (_s, info) in subjects.items()})


def evaluate_rule(*, rule: Rule, year: int, acting_user=None) -> Evaluation:
    """Write the proposals of ``rule`` for ``year``. Running it again changes nothing unless the
    records or the parameters changed: a proposal whose amount or explanation changed is updated,
    one that no longer qualifies is withdrawn with the reason, a withdrawn one that qualifies again
    is proposed again; approved, rejected and paid awards are never touched."""
    policies.require_manage(acting_user)
    _check_year(year)
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)  # one evaluation of a rule at a time
        check_evaluable(rule, year)
        existing = {a.subject_key: a for a in rule.awards.select_for_update().filter(year=year)}
        result = _evaluate(rule, year, existing=existing)
        new_awards = []
        seen = set()
        for outcome in result.outcomes:
            key = outcome.subject.key
            seen.add(key)
            award = existing.get(key)
            if award is not None and award.status in DECIDED_STATUSES:
                result.counts["unchanged"] += 1
                continue
            if outcome.eligible:
                info = result.infos[key]
                fields = {
                    "base": outcome.base,
                    "amount": outcome.amount,
                    "explanation": outcome.explanation,
                    "beneficiary_kind": rule.beneficiary_kind,
                    "beneficiary_code": outcome.subject.beneficiary.get(rule.beneficiary_kind, ""),
                    "beneficiary_name": info.beneficiary_name,
                    "city": info.city,
                    "contract_id": info.contract_id,
                    "unit_id": info.unit_id,
                    "pilot_base_code": info.pilot_base_code,
                }
                if award is None:
                    # Values computed by the engine from validated records, not user input: written
                    # in bulk with their history rows (the constraints still hold in the database).
                    new_awards.append(Award(rule=rule, year=year, subject_key=key, status=AwardStatus.PROPOSED,
                                            rule_version=rule.version, parameters=result.parameters, **fields))
                    result.counts["created"] += 1
                    continue
                same = (
                    award.status == AwardStatus.PROPOSED
                    and award.amount == outcome.amount
                    and award.base == outcome.base
                    and award.explanation == outcome.explanation
                    and award.parameters == result.parameters
                )
                if same:
                    result.counts["unchanged"] += 1
                    continue
                reason = _("重新评审：再次拟奖补") if award.status == AwardStatus.WITHDRAWN else _("重新评审：金额或说明变化")
                for name, value in fields.items():
                    setattr(award, name, value)
                award.status = AwardStatus.PROPOSED
                award.comment = ""
                award.rule_version = rule.version
                award.parameters = result.parameters
                award.version += 1
                _history(award, acting_user, reason)
                award.save()
                result.counts["updated"] += 1
            elif award is not None and award.status == AwardStatus.PROPOSED:
                award.status = AwardStatus.WITHDRAWN
                award.comment = _("不再符合条件：%(reason)s") % {"reason": outcome.explanation}
                award.version += 1
                _history(award, acting_user, award.comment)
                award.save()
                result.counts["withdrawn"] += 1
        if new_awards:
            bulk_create_with_history(
                new_awards, Award, batch_size=500,
                default_user=acting_user if getattr(acting_user, "pk", None) else None,
                default_change_reason=_("评审：拟奖补"),
            )
        return result


def evaluate_year(*, year: int, acting_user=None) -> dict[str, Counter]:
    """Evaluate every active payment rule that applies in ``year``: {rule code: counts}."""
    policies.require_manage(acting_user)
    _check_year(year)
    rules = Rule.objects.filter(status=RuleStatus.ACTIVE, kind=RuleKind.PAYMENT).order_by("code")
    return {
        rule.code: evaluate_rule(rule=rule, year=year, acting_user=acting_user).counts
        for rule in rules
        if rule.applies_in(year)
    }


def check_evaluable(rule: Rule, year: int) -> None:
    """Only an active payment rule valid in ``year`` writes proposals for it (a draft is previewed,
    never evaluated; a check rule never pays)."""
    if rule.kind != RuleKind.PAYMENT:
        raise ValidationError({"rule": [_("规则 %(code)s 是核查规则，不发放奖补，不能评审。") % {"code": rule.code}]})
    if rule.status != RuleStatus.ACTIVE:
        raise ValidationError({"status": [_("规则 %(code)s 的状态是“%(status)s”：只有生效的规则可以评审（草稿请先预览，再设为生效）。") % {
            "code": rule.code, "status": RuleStatus(rule.status).label}]})
    if not rule.applies_in(year):
        raise ValidationError({"year": [_("规则 %(code)s 的有效期（%(first)s 至 %(last)s）不含 %(year)s 年。") % {
            "code": rule.code, "first": rule.valid_from.isoformat(),
            "last": rule.valid_to.isoformat() if rule.valid_to else "—", "year": year}]})


def _require_formula(rule: Rule, year: int, values: dict) -> None:
    if not values.get("formula"):
        raise ValidationError({"formula": [_("规则 %(code)s 在 %(year)s 年没有计算公式。") % {"code": rule.code, "year": year}]})


def evaluation_check(*, rule: Rule | None, year: int) -> None:
    """What ``evaluate_rule`` (``rule``) or ``evaluate_year`` (``None``) would refuse before writing
    anything: the page asks it before queueing the task, whose refusal in a worker nobody sees."""
    _check_year(year)
    if rule is not None:
        check_evaluable(rule, year)
        values, _snapshot = parameter_values(rule, reference_date(year))
        _require_formula(rule, year, values)


def _check_year(year: int) -> None:
    if not EARLIEST_RECORD_DATE.year <= int(year) <= timezone.localdate().year:
        raise ValidationError({"year": [_("年度应在1985年至今年之间。")]})


@dataclass
class PreviewRow:
    label: str
    beneficiary: str
    current: Decimal | None
    proposed: Decimal | None
    explanation: str

    @property
    def difference(self) -> Decimal:
        return (self.proposed or Decimal("0.00")) - (self.current or Decimal("0.00"))


def preview(*, rule: Rule, year: int, change: tuple | None = None, acting_user) -> dict:
    """What ``rule`` would award for ``year`` with ``change`` = (key, raw value, valid_from) added,
    next to what it awards with the values in force (nothing for a draft rule). Writes nothing."""
    policies.require_manage(acting_user)
    _check_year(year)
    extra = None
    if change is not None:
        key, raw, valid_from = change
        extra = (key, clean_value(key, raw), clean_valid_from(valid_from))
    proposed = _evaluate(rule, year, extra=extra)
    current = None
    if rule.status == RuleStatus.ACTIVE:
        try:
            current = _evaluate(rule, year)
        except ValidationError:
            current = None
    now = {o.subject.key: o for o in current.outcomes} if current else {}
    rows = []
    for outcome in proposed.outcomes:
        before = now.get(outcome.subject.key)
        current_amount = before.amount if before is not None and before.eligible else None
        new_amount = outcome.amount if outcome.eligible else None
        if current_amount is None and new_amount is None:
            continue
        rows.append(PreviewRow(
            label=outcome.subject.label,
            beneficiary=outcome.subject.beneficiary.get(rule.beneficiary_kind, ""),
            current=current_amount,
            proposed=new_amount,
            explanation=outcome.explanation,
        ))
    return {
        "rows": rows,
        "parameters": proposed.parameters,
        "qualifying": len(proposed.qualifying),
        "total": proposed.total,
        "current_total": current.total if current else None,
        "change_applies": extra is None or extra[2] <= reference_date(year),
    }


# --- approval and payment ---------------------------------------------------------------------------


MAX_ID = 2**63 - 1  # the largest key a database column holds; a larger number names no award


def _award_ids(awards) -> list[int]:
    """The keys of ``awards`` (awards or numbers); a number that cannot be a key is refused, naming
    the field, instead of reaching the database (SQLite and PostgreSQL fail on it)."""
    ids = set()
    for item in awards:
        try:
            pk = item.pk if isinstance(item, Award) else int(item)
        except (TypeError, ValueError):
            pk = None
        if pk is None or not 0 < pk <= MAX_ID:
            raise ValidationError({"awards": [_("所选奖补不存在：%(value)s。") % {"value": item}]})
        ids.add(pk)
    return sorted(ids)


def _notify_award(event: str, award: Award, acting_user, **context) -> None:
    if award.unit_id is None:
        return
    subject = award.contract.ref if award.contract_id else award.pilot_base_code
    notify(
        event=event,
        obj=award,
        actor=acting_user,
        context={"rule": award.rule.name, "subject": subject, "year": award.year,
                 "amount": engine.money(award.amount), **context},
    )


@transaction.atomic
def awards_decide(*, awards, approve: bool, comment: str, acting_user) -> list[Award]:
    """Approve or reject proposals (in bulk) with a comment. Only proposals can be decided; a
    rejection needs a comment. Nothing is written when any award is not a proposal."""
    policies.require(policies.can_manage(acting_user))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": [_("不批准时请填写意见。")]})
    ids = _award_ids(awards)
    if not ids:
        raise ValidationError({"awards": [_("请至少选择一条奖补。")]})
    locked = list(Award.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("rule", "contract").order_by("pk"))
    if len(locked) != len(ids):
        raise ValidationError({"awards": [_("所选奖补不存在。")]})
    wrong = [a for a in locked if a.status != AwardStatus.PROPOSED]
    if wrong:
        raise ValidationError({"awards": [_("只能审批待审批的奖补；%(list)s 不是待审批状态。") % {
            "list": "、".join(f"#{a.pk}" for a in wrong)}]})
    now = timezone.now()
    for award in locked:
        award.status = AwardStatus.APPROVED if approve else AwardStatus.REJECTED
        award.comment = comment
        award.decided_by = acting_user
        award.decided_at = now
        award.version += 1
        _history(award, acting_user, (_("批准") if approve else _("不批准")) + (f"：{comment}" if comment else ""))
        award.save()
        _notify_award(events.AWARD_APPROVED if approve else events.AWARD_REJECTED, award, acting_user, comment=comment)
    return locked


@transaction.atomic
def awards_mark_paid(*, awards, paid_on: datetime.date, acting_user) -> list[Award]:
    """Mark approved awards paid on ``paid_on`` (finance's confirmation). Already paid on the same
    day: nothing changes (a paid list imported twice). Anything else refuses the whole batch."""
    policies.require(policies.can_manage(acting_user))
    try:
        validate_record_date(paid_on, _("支付日期"))
    except ValidationError as exc:
        raise ValidationError({"paid_on": exc.messages}) from None
    ids = _award_ids(awards)
    locked = list(Award.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("rule", "contract").order_by("pk"))
    if len(locked) != len(ids):
        raise ValidationError({"awards": [_("所选奖补不存在。")]})
    wrong = [a for a in locked if not (a.status == AwardStatus.APPROVED or (a.status == AwardStatus.PAID and a.paid_on == paid_on))]
    if wrong:
        raise ValidationError({"awards": [_("只有已批准的奖补可以标记为已支付；%(list)s 不是。") % {
            "list": "、".join(f"#{a.pk}" for a in wrong)}]})
    changed = []
    for award in locked:
        if award.status == AwardStatus.PAID:
            continue
        award.status = AwardStatus.PAID
        award.paid_on = paid_on
        award.version += 1
        _history(award, acting_user, _("已支付（%(date)s）") % {"date": paid_on.isoformat()})
        award.full_clean()
        award.save()
        _notify_award(events.AWARD_PAID, award, acting_user, paid_on=paid_on.isoformat())
        changed.append(award)
    return changed


PAID_ID_HEADERS = ("奖补编号", "award id", "id")
PAID_DATE_HEADERS = ("支付日期", "paid on", "paid_on")
PAID_AMOUNT_HEADERS = ("奖补金额（元）", "amount")


def _header_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """A column's accepted headers: the Chinese one, its translation in every language of the site
    (a list exported in English mode comes back with English headers), and the plain fallbacks."""
    found = list(names)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            found += [str(_(names[0]))]
    return tuple(dict.fromkeys(found))


def paid_list_import(*, rows: list[list], acting_user) -> list[Award]:
    """The finance office's paid list: the finance export with the 支付日期 column filled in.
    Every row with a payment date must name an approved award with the same amount; any problem
    is reported with its row number and nothing is written."""
    policies.require(policies.can_manage(acting_user))
    if not rows:
        raise ValidationError({"file": [_("文件为空。")]})
    header = [str(h or "").strip().lower() for h in rows[0]]

    def column(names):
        for name in names:
            if name.lower() in header:
                return header.index(name.lower())
        return None

    id_col, date_col, amount_col = (column(_header_names(names))
                                    for names in (PAID_ID_HEADERS, PAID_DATE_HEADERS, PAID_AMOUNT_HEADERS))
    if id_col is None or date_col is None:
        raise ValidationError({"file": [_("文件应包含“奖补编号”和“支付日期”两列（请使用财务导出的表格）。")]})
    problems, wanted = [], []
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * len(header)
        raw_date = cells[date_col]
        if raw_date in (None, ""):
            continue
        try:
            award_id = int(str(cells[id_col]).strip())
            if not 0 < award_id <= MAX_ID:
                raise ValueError(award_id)
        except ValueError:
            problems.append(_("第 %(row)s 行：奖补编号“%(value)s”无效。") % {"row": number, "value": cells[id_col]})
            continue
        if isinstance(raw_date, datetime.datetime):
            paid_on = raw_date.date()
        elif isinstance(raw_date, datetime.date):
            paid_on = raw_date
        else:
            try:
                paid_on = datetime.date.fromisoformat(str(raw_date).strip())
            except ValueError:
                problems.append(_("第 %(row)s 行：支付日期“%(value)s”应为 YYYY-MM-DD。") % {"row": number, "value": raw_date})
                continue
        try:
            validate_record_date(paid_on, _("支付日期"))
        except ValidationError as exc:
            problems.append(_("第 %(row)s 行：%(message)s") % {"row": number, "message": " ".join(exc.messages)})
            continue
        amount = cells[amount_col] if amount_col is not None else None
        if amount not in (None, ""):
            try:
                amount = parse_amount(amount)
            except (InvalidOperation, ValueError):
                problems.append(_("第 %(row)s 行：奖补金额“%(value)s”不是金额。") % {"row": number, "value": amount})
                continue
        wanted.append((number, award_id, paid_on, amount))
    awards = Award.objects.in_bulk([w[1] for w in wanted])
    for number, award_id, paid_on, amount in wanted:
        award = awards.get(award_id)
        if award is None:
            problems.append(_("第 %(row)s 行：奖补编号 %(id)s 不存在。") % {"row": number, "id": award_id})
        elif not (award.status == AwardStatus.APPROVED or (award.status == AwardStatus.PAID and award.paid_on == paid_on)):
            problems.append(_("第 %(row)s 行：奖补 %(id)s 的状态是“%(status)s”，只有已批准的奖补可以标记为已支付。") % {
                "row": number, "id": award_id, "status": award.get_status_display()})
        elif amount not in (None, "") and amount != award.amount:
            problems.append(_("第 %(row)s 行：金额 %(amount)s 与奖补 %(id)s 的金额 %(expected)s 不符。") % {
                "row": number, "amount": amount, "id": award_id, "expected": award.amount})
    if problems:
        raise ValidationError({"file": problems})
    if not wanted:
        raise ValidationError({"file": [_("没有填写支付日期的行。")]})
    changed = []
    with transaction.atomic():
        for paid_on in sorted({w[2] for w in wanted}):
            changed += awards_mark_paid(awards=[w[1] for w in wanted if w[2] == paid_on], paid_on=paid_on,
                                        acting_user=acting_user)
    return changed


# --- the Law's Art. 45 check -------------------------------------------------------------------------


def art45_minimum_share(mode: str, on: datetime.date) -> Decimal | None:
    """The research team's minimum share for a contract of ``mode`` on ``on`` (Law Art. 45), from
    the shipped check rule's dated parameters; ``None`` for a mode the rule does not cover."""
    rule = Rule.objects.filter(code=ART45_RULE).first()
    if rule is None:
        return None
    values, _snapshot = parameter_values(rule, on)
    key = {"transfer": "team_share_transfer_license", "license": "team_share_transfer_license",
           "equity": "team_share_equity", "self": "team_share_self_profit",
           "cooperation": "team_share_self_profit"}.get(mode)
    value = values.get(key) if key else None
    return None if value is None else Decimal(str(value))


def art45_report_minimum(year: int) -> Decimal | None:
    """The minimum team share of transfers and licences for the annual reports of ``year``: the
    value in force on 31 December of that year (the reports' Art. 45 hook; ``None``: no rule)."""
    try:
        return art45_minimum_share("transfer", reference_date(int(year)))
    except (ValueError, OverflowError):
        return None


# --- use before transfer ---------------------------------------------------------------------------------


def years_after_grant(on: datetime.date) -> int:
    """N of the use-before-transfer list, from the shipped check rule's dated parameter."""
    rule = Rule.objects.filter(code=USE_BEFORE_TRANSFER_RULE).first()
    if rule is None:
        return DEFAULT_YEARS_AFTER_GRANT
    values, _snapshot = parameter_values(rule, on)
    value = values.get("years_after_grant")
    return DEFAULT_YEARS_AFTER_GRANT if value is None else int(value)


def _years_before(on: datetime.date, years: int) -> datetime.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def listing_candidates(on: datetime.date, years: int):
    """Achievements developed with fiscal funds, active, whose IP was granted more than ``years``
    years before ``on``, with no effective transformation contract."""
    effective = Transformation.objects.filter(achievement=OuterRef("pk"), status="effective")
    return Achievement.objects.filter(
        funded=True,
        status="active",
        ip_granted_on__isnull=False,
        ip_granted_on__lt=_years_before(on, years),
    ).filter(~Exists(effective))


@transaction.atomic
def listing_refresh(*, on: datetime.date | None = None, acting_user=None, notify_units: bool = True) -> ListingRun:
    """The monthly job: put every candidate on the list (the unit is told), take off the entries
    that no longer qualify (transformed, withdrawn), leave alone those with an accepted
    justification; record the list's size. Running it twice on one day changes nothing."""
    policies.require_manage(acting_user)
    on = on or timezone.localdate()
    years = years_after_grant(on)
    candidates = {a.pk: a for a in listing_candidates(on, years).select_related("unit")}
    existing = {item.achievement_id: item for item in Listing.objects.select_for_update(of=("self",)).select_related("achievement")}
    added = removed = 0
    fresh, told = [], []
    for pk, achievement in candidates.items():
        item = existing.get(pk)
        if item is None:
            fresh.append(Listing(achievement=achievement, unit_id=achievement.unit_id, listed_on=on,
                                 synthetic=achievement.synthetic))
        elif item.status == ListingStatus.DELISTED:
            item.status, item.listed_on, item.delisted_on = ListingStatus.LISTED, on, None
            item.justification_status = JustificationStatus.NONE
            item.version += 1
            _history(item, acting_user, _("再次列入清单"))
            item.save()
            told.append(item)
    if fresh:
        # The first run lists thousands at once: written in bulk with their history rows.
        bulk_create_with_history(
            fresh, Listing, batch_size=500,
            default_user=acting_user if getattr(acting_user, "pk", None) else None,
            default_change_reason=_("列入清单（授权满 %(n)s 年未转化）") % {"n": years},
        )
        if notify_units:
            ids = [item.achievement_id for item in fresh]
            for start in range(0, len(ids), 500):
                told += list(Listing.objects.filter(achievement_id__in=ids[start : start + 500]))
    added = len(told) if notify_units else len(told) + len(fresh)
    if notify_units:
        for item in told:
            achievement = candidates[item.achievement_id]
            notify(event=events.LISTED, obj=item, unit=achievement.unit_id, actor=acting_user,
                   context={"ref": achievement.ref, "title": achievement.title, "years": years})
    for pk, item in existing.items():
        if pk not in candidates and item.status == ListingStatus.LISTED:
            item.status, item.delisted_on = ListingStatus.DELISTED, on
            item.version += 1
            _history(item, acting_user, _("移出清单：已转化或不再符合条件"))
            item.save()
            removed += 1
    listed = Listing.objects.filter(status=ListingStatus.LISTED).count()
    run, _created = ListingRun.objects.update_or_create(
        run_on=on, defaults={"years": years, "listed": listed, "added": added, "removed": removed}
    )
    return run


@transaction.atomic
def listing_justify(*, listing: Listing, text: str, acting_user, expected_version: int | None = None) -> Listing:
    """The owning unit files (or files again) its justification; staff then decide."""
    policies.require(policies.can_justify(acting_user, listing.unit_id), policies.MSG_JUSTIFY)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"justification": [_("请填写未转化的理由。")]})
    item = Listing.objects.select_for_update().get(pk=listing.pk)
    check_version(item, expected_version)
    if item.status != ListingStatus.LISTED or item.justification_status == JustificationStatus.PENDING:
        raise ValidationError({"justification": [_("该条目当前不能提交理由（不在清单中，或理由正在审核）。")]})
    item.justification = text[:5000]
    item.justification_status = JustificationStatus.PENDING
    item.filed_by, item.filed_at = acting_user, timezone.now()
    item.version += 1
    _history(item, acting_user, _("提交未转化理由"))
    item.save()
    return item


@transaction.atomic
def listing_decide(*, listing: Listing, accept: bool, comment: str, acting_user,
                   expected_version: int | None = None) -> Listing:
    """Staff accept a justification (the entry leaves the published list) or reject it (it stays)."""
    policies.require(policies.can_manage(acting_user))
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ValidationError({"comment": [_("不接受理由时请填写意见。")]})
    item = Listing.objects.select_for_update(of=("self",)).select_related("achievement").get(pk=listing.pk)
    check_version(item, expected_version)
    if item.justification_status != JustificationStatus.PENDING:
        raise ValidationError({"comment": [_("没有待审核的理由。")]})
    item.justification_status = JustificationStatus.ACCEPTED if accept else JustificationStatus.REJECTED
    if accept:
        item.status = ListingStatus.EXEMPT
    item.decision_comment = comment
    item.decided_by, item.decided_at = acting_user, timezone.now()
    item.version += 1
    _history(item, acting_user, (_("接受理由") if accept else _("不接受理由")) + (f"：{comment}" if comment else ""))
    item.save()
    notify(event=events.JUSTIFICATION_DECIDED, obj=item, actor=acting_user,
           context={"ref": item.achievement.ref, "title": item.achievement.title,
                    "decision": _("已被接受，成果移出公开清单") if accept else _("未被接受"), "comment": comment})
    return item
