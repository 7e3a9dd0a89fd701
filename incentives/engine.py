"""The evaluation of one rule for one year, on plain values (no database): eligibility, amount,
caps, budget, order and the explanation, line by line in Chinese.

The order fixed by the data specification: subjects are taken by (beneficiary's code, signature
date, owning unit's credit code, reference); each amount is computed from its base and rounded
half-up to the fen, then limited by the per-award cap, then by what is left of the beneficiary's
cap for the year, then by what is left of the year's budget; a subject left with 0 gets no award.
Amounts already approved or paid in the year (``fixed``) are taken off the caps and the budget
before anything else, and never change.

``incentives.services`` feeds this from the database; the property-based test feeds it generated
records and compares it with a plain reference implementation.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core import numbers

from .parameters import BASE_NAMES_ZH, GRADE_NAMES_ZH

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
BENEFICIARY_NAMES_ZH = {"transferee": "每企业", "unit": "每单位", "team": "每团队", "pilot_base": "每基地"}


@dataclass(frozen=True)
class Subject:
    """One record a rule may reward (a contract or a pilot base), as plain values."""

    key: str  # "contract:<id>" or "pilot_base:<code>"
    label: str  # "合同 HT-2023-0042" / "中试基地 ZS-001"
    ref: str
    beneficiary: dict  # {"transferee": code, "unit": code, "team": "achievement:<id>", "pilot_base": code}
    unit_code: str = ""
    unit_type: str = ""
    mode: str = ""
    status: str = "effective"
    local: bool = False
    cluster: str | None = None
    trl: int | None = None
    amount: Decimal = ZERO
    received: Decimal | None = None
    signed_on: datetime.date | None = None
    grade: str | None = None

    def order_key(self, kind: str) -> tuple:
        return (self.beneficiary.get(kind) or "", self.signed_on or datetime.date.min, self.unit_code, self.ref)


@dataclass
class Outcome:
    subject: Subject
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # why not eligible
    base: Decimal = ZERO
    amount: Decimal = ZERO
    lines: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        return "；".join(self.lines) if self.lines else "；".join(self.reasons)


def money(value: Decimal) -> str:
    """Yuan with thousands separators and two decimals (core.numbers.yuan, docs/numbers.md)."""
    return numbers.yuan(value)


def percent(rate: Decimal) -> str:
    text = f"{(rate * 100).normalize():f}"
    return f"{text}%"


def dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def round_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def window(year: int, within_years: int) -> tuple[datetime.date, datetime.date]:
    """Signed from 1 Jan (Y − n) to 31 Dec Y."""
    return datetime.date(year - within_years, 1, 1), datetime.date(year, 12, 31)


def ineligibility(subject: Subject, params: dict, year: int, *, awarded_elsewhere: set[str]) -> list[str]:
    """Why ``subject`` does not qualify (empty: it qualifies). Every condition is AND."""
    reasons = []
    p = params.get
    if subject.key.startswith("contract:") and subject.status != "effective":
        reasons.append("合同不是有效状态")
    if p("contract_modes") is not None and subject.mode not in p("contract_modes"):
        reasons.append(f"转化方式 {subject.mode} 不在 {'、'.join(p('contract_modes'))} 之内")
    if p("unit_types") is not None and subject.unit_type not in p("unit_types"):
        reasons.append(f"单位类型 {subject.unit_type} 不在 {'、'.join(p('unit_types'))} 之内")
    if p("transferee_local") is not None and subject.local != p("transferee_local"):
        reasons.append("受让方不是省内企业" if p("transferee_local") else "受让方是省内企业")
    if p("clusters") is not None and subject.cluster not in p("clusters"):
        reasons.append(f"产业集群 {subject.cluster or '—'} 不在 {'、'.join(p('clusters'))} 之内")
    if p("min_trl") is not None and (subject.trl or 0) < p("min_trl"):
        reasons.append(f"技术成熟度 {subject.trl or '—'} 低于 {p('min_trl')}")
    if p("min_amount") is not None and subject.amount < dec(p("min_amount")):
        reasons.append(f"合同金额 {money(subject.amount)} 低于 {money(dec(p('min_amount')))}")
    if p("min_received") is not None and (subject.received or ZERO) < dec(p("min_received")):
        reasons.append(f"到账 {money(subject.received or ZERO)} 低于 {money(dec(p('min_received')))}")
    if p("signed_within_years") is not None:
        first, last = window(year, p("signed_within_years"))
        if subject.signed_on is None or not first <= subject.signed_on <= last:
            reasons.append(f"签订日期不在 {first.isoformat()} 至 {last.isoformat()} 之间")
    if p("pilot_grades") is not None and subject.grade not in p("pilot_grades"):
        reasons.append(f"考评等级 {GRADE_NAMES_ZH.get(subject.grade, '无')} 不符合")
    if p("once_per_subject") and subject.key in awarded_elsewhere:
        reasons.append("该记录已在其他年度获得本规则奖补")
    return reasons


def raw_amount(subject: Subject, formula: dict) -> tuple[Decimal, Decimal, str]:
    """(base, amount rounded half-up to the fen, the line that shows the sum)."""
    kind = formula["kind"]
    if kind == "fixed":
        amount = round_fen(dec(formula["amount"]))
        return ZERO, amount, f"定额 {money(amount)}"
    if kind == "fixed_by_grade":
        value = formula["amounts"].get(subject.grade or "")
        amount = round_fen(dec(value)) if value is not None else ZERO
        return ZERO, amount, f"考评等级{GRADE_NAMES_ZH.get(subject.grade, '无')}，定额 {money(amount)}"
    base_name = formula["base"]
    base = (subject.received if base_name == "received" else subject.amount) or ZERO
    base = round_fen(base)
    name = BASE_NAMES_ZH[base_name]
    if kind == "percent":
        rate = dec(formula["rate"])
        amount = round_fen(base * rate)
        return base, amount, f"{name} {money(base)} × {percent(rate)} = {money(amount)}"
    tiers = [(dec(start), dec(rate)) for start, rate in formula["tiers"]]
    total, parts = Decimal(0), []
    for index, (start, rate) in enumerate(tiers):
        end = tiers[index + 1][0] if index + 1 < len(tiers) else None
        if base <= start:
            break
        portion = (min(base, end) if end is not None else base) - start
        total += portion * rate
        parts.append(f"{money(portion)} × {percent(rate)}")
    amount = round_fen(total)
    return base, amount, f"{name} {money(base)} 分档：{' + '.join(parts) or '0'} = {money(amount)}"


def evaluate(
    subjects: list[Subject],
    params: dict,
    year: int,
    *,
    beneficiary_kind: str,
    awarded_elsewhere: set[str] = frozenset(),
    fixed: dict[str, tuple[str, Decimal]] | None = None,
) -> list[Outcome]:
    """Every subject's outcome, in the rule's order. ``fixed``: subject key → (beneficiary's code,
    amount) already approved or paid this year (kept as it is; taken off the caps and the budget
    first, also when the record no longer qualifies or no longer exists)."""
    fixed = fixed or {}
    cap_award = dec(params.get("cap_per_award"))
    cap_beneficiary = dec(params.get("cap_per_beneficiary_year"))
    budget = dec(params.get("budget_per_year"))
    used_by = defaultdict(lambda: ZERO)
    budget_left = budget
    for holder, amount in fixed.values():
        used_by[holder] += amount
        if budget_left is not None:
            budget_left -= amount
    who = BENEFICIARY_NAMES_ZH.get(beneficiary_kind, "每受益方")
    outcomes = []
    for subject in sorted(subjects, key=lambda s: s.order_key(beneficiary_kind)):
        if subject.key in fixed:
            amount = fixed[subject.key][1]
            outcomes.append(Outcome(subject, True, amount=amount, lines=[f"{subject.label}：已批准或已支付 {money(amount)}，不再变动"]))
            continue
        reasons = ineligibility(subject, params, year, awarded_elsewhere=awarded_elsewhere)
        if reasons:
            outcomes.append(Outcome(subject, False, reasons=[f"{subject.label}：" + "；".join(reasons)]))
            continue
        base, amount, line = raw_amount(subject, params["formula"])
        lines = [f"{subject.label}：{line}"]
        if params["formula"]["kind"] in ("percent", "tiers") and base == 0:
            outcomes.append(Outcome(subject, False, reasons=[f"{subject.label}：计算基数为 0，不予奖补"]))
            continue
        if cap_award is not None:
            if amount > cap_award:
                amount = cap_award
                lines.append(f"单笔上限 {money(cap_award)} 已触及，计 {money(amount)}")
            else:
                lines.append(f"单笔上限 {money(cap_award)} 未触及")
        if cap_beneficiary is not None:
            holder = subject.beneficiary.get(beneficiary_kind)
            left = max(cap_beneficiary - used_by[holder], ZERO)
            if amount > left:
                amount = left
                lines.append(f"{who}每年上限 {money(cap_beneficiary)} 已触及，剩余 {money(left)}，计 {money(amount)}")
            else:
                lines.append(f"{who}每年上限 {money(cap_beneficiary)} 未触及（已用 {money(used_by[holder])}）")
        if budget_left is not None:
            left = max(budget_left, ZERO)
            if amount > left:
                amount = left
                lines.append(f"年度预算仅剩 {money(left)}，计 {money(amount)}")
        if amount <= 0:
            lines.append("可奖补金额为 0，不予奖补")
            outcomes.append(Outcome(subject, False, reasons=["；".join(lines)], base=base))
            continue
        used_by[subject.beneficiary.get(beneficiary_kind)] += amount
        if budget_left is not None:
            budget_left -= amount
            lines.append(f"年度预算剩余 {money(budget_left)}")
        lines.append(f"拟奖补 {money(amount)}")
        outcomes.append(Outcome(subject, True, base=base, amount=amount, lines=lines))
    return outcomes
