"""The vocabulary of a rule: every condition, formula and cap is a named parameter with dated values
(OpenFisca keeps parameters this way), validated here. Nothing is ever evaluated as an expression:
a value is data of a declared shape (a number, a rate, a set of choices, a formula object).

``PARAMETERS`` declares each key: its label, its shape and, for sets, the allowed members. A value
of ``None`` means "no such condition / no such cap". ``clean_value(key, raw)`` turns input (JSON
text, or a Python value from a data migration) into the stored form, with a message naming the
parameter when it is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from achievements.choices import TransformationMode, UnitType

GRADES = {"excellent": _("优秀"), "good": _("良好"), "pass": _("合格"), "fail": _("不合格")}
GRADE_NAMES_ZH = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}
BASES = {"received": _("到账金额"), "amount": _("合同金额")}
BASE_NAMES_ZH = {"received": "到账", "amount": "合同金额"}
FORMULA_KINDS = ("percent", "fixed", "fixed_by_grade", "tiers")
MAX_MONEY = Decimal("100000000000000.00")  # fits the awards' 16 digits
MAX_TEXT = 10_000  # a typed value (JSON of a formula with many tiers fits easily)


def _cluster_codes() -> tuple[str, ...]:
    """The industrial clusters' codes (a rule's cluster condition names existing clusters only)."""
    from achievements.models import Cluster

    return tuple(Cluster.objects.order_by("code").values_list("code", flat=True))


@dataclass(frozen=True)
class Spec:
    key: str
    label: object
    shape: str  # money · rate · int · bool · set · formula
    members: tuple[str, ...] = ()
    group: str = "condition"  # condition · formula · cap · check


PARAMETERS: dict[str, Spec] = {
    spec.key: spec
    for spec in (
        Spec("contract_modes", _("转化方式属于"), "set", tuple(TransformationMode.values)),
        Spec("unit_types", _("完成单位类型属于"), "set", tuple(UnitType.values)),
        Spec("transferee_local", _("受让方为省内企业"), "bool"),
        Spec("clusters", _("产业集群属于"), "set"),
        Spec("min_trl", _("技术成熟度至少"), "int"),
        Spec("min_amount", _("合同金额至少（元）"), "money"),
        Spec("min_received", _("到账金额至少（元）"), "money"),
        Spec("signed_within_years", _("签订于评审年度及之前 n 年内"), "int"),
        Spec("pilot_grades", _("中试基地考评等级属于"), "set", tuple(GRADES)),
        Spec("once_per_subject", _("同一记录只奖补一次"), "bool"),
        Spec("formula", _("计算公式"), "formula", group="formula"),
        Spec("cap_per_award", _("单笔上限（元）"), "money", group="cap"),
        Spec("cap_per_beneficiary_year", _("每个受益方每年上限（元）"), "money", group="cap"),
        Spec("budget_per_year", _("年度预算（元）"), "money", group="cap"),
        Spec("team_share_transfer_license", _("转让、许可净收入中团队最低比例"), "rate", group="check"),
        Spec("team_share_equity", _("作价投资股权中团队最低比例"), "rate", group="check"),
        Spec("years_after_grant", _("知识产权授权后未转化年数 N"), "int", group="check"),
        Spec("team_share_self_profit", _("自行或合作实施营业利润中团队最低比例"), "rate", group="check"),
    )
}


def _error(key: str, message) -> ValidationError:
    label = PARAMETERS[key].label if key in PARAMETERS else key
    return ValidationError({"value": [_("参数“%(label)s”（%(key)s）：%(message)s") % {
        "label": label, "key": key, "message": message}]})


# A typed amount: digits with an optional decimal part; commas only as thousands separators
# (``2,000,000.00``), so ``1,2`` is refused rather than read as 12.
_AMOUNT_RE = re.compile(r"^-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")


def parse_amount(raw) -> Decimal:
    """A typed or stored amount as a Decimal; ``ValueError`` for anything that is not one
    (``1,2``, ``五万``, ``1e5``, ``NaN``)."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(str(raw))
    text = str(raw).strip()
    if not _AMOUNT_RE.match(text):
        raise ValueError(raw)
    return Decimal(text.replace(",", ""))


def _money(key: str, raw, what=None) -> str:
    try:
        value = parse_amount(raw)
    except (InvalidOperation, ValueError):
        raise _error(key, _("“%(value)s”不是金额（如 2000000.00 或 2,000,000.00）。") % {"value": raw}) from None
    if not value.is_finite() or value < 0 or value > MAX_MONEY or value != value.quantize(Decimal("0.01")):
        raise _error(key, _("金额应为不小于0、最多两位小数的数。"))
    return f"{value:.2f}"


def _rate(key: str, raw) -> str:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _error(key, _("“%(value)s”不是比例（如 0.05 表示 5%%）。") % {"value": raw}) from None
    if not value.is_finite() or value < 0 or value > 1 or value.as_tuple().exponent < -6:
        raise _error(key, _("比例应在0至1之间（如 0.05 表示 5%%），最多六位小数。"))
    return str(value.normalize()) if value else "0"


def _formula(key: str, raw) -> dict:
    if not isinstance(raw, dict) or raw.get("kind") not in FORMULA_KINDS:
        raise _error(key, _("公式应为对象，kind 为 percent、fixed、fixed_by_grade 或 tiers 之一。"))
    kind = raw["kind"]
    allowed = {
        "percent": {"kind", "base", "rate"},
        "fixed": {"kind", "amount"},
        "fixed_by_grade": {"kind", "amounts"},
        "tiers": {"kind", "base", "tiers"},
    }[kind]
    unknown = set(raw) - allowed
    if unknown or set(raw) != allowed:
        raise _error(key, _("公式 %(kind)s 应恰好包含 %(fields)s。") % {
            "kind": kind, "fields": ", ".join(sorted(allowed))})
    if kind in ("percent", "tiers") and not (isinstance(raw["base"], str) and raw["base"] in BASES):
        raise _error(key, _("计算基数应为 received（到账金额）或 amount（合同金额）。"))
    if kind == "percent":
        return {"kind": kind, "base": raw["base"], "rate": _rate(key, raw["rate"])}
    if kind == "fixed":
        return {"kind": kind, "amount": _money(key, raw["amount"])}
    if kind == "fixed_by_grade":
        amounts = raw["amounts"]
        if not isinstance(amounts, dict) or not amounts or set(amounts) - set(GRADES):
            raise _error(key, _("按等级的定额应为 {等级: 金额}，等级为 excellent、good、pass、fail。"))
        return {"kind": kind, "amounts": {g: _money(key, amounts[g]) for g in GRADES if g in amounts}}
    tiers = raw["tiers"]
    if not isinstance(tiers, list) or not tiers:
        raise _error(key, _("分档应为 [[起点金额, 比例], ...] 的列表。"))
    cleaned = []
    for tier in tiers:
        if not isinstance(tier, (list, tuple)) or len(tier) != 2:
            raise _error(key, _("分档应为 [[起点金额, 比例], ...] 的列表。"))
        cleaned.append([_money(key, tier[0]), _rate(key, tier[1])])
    starts = [Decimal(t[0]) for t in cleaned]
    if starts[0] != 0 or starts != sorted(set(starts)):
        raise _error(key, _("分档起点应从0开始并严格递增。"))
    return {"kind": kind, "base": raw["base"], "tiers": cleaned}


def clean_value(key: str, raw):
    """The stored form of a parameter value (``None``: no such condition or cap)."""
    if key not in PARAMETERS:
        raise ValidationError({"key": [_("未知参数：%(key)s。") % {"key": key}]})
    spec = PARAMETERS[key]
    if isinstance(raw, str) and len(raw) > MAX_TEXT:
        raise _error(key, _("取值过长（最多 %(n)s 个字符）。") % {"n": MAX_TEXT})
    if isinstance(raw, str) and spec.shape in ("set", "formula", "bool"):
        text = raw.strip()
        if text in ("", "null"):
            return None
        try:
            raw = json.loads(text)
        except RecursionError:
            raise _error(key, _("不是有效的 JSON。")) from None
        except ValueError:
            if spec.shape != "set":
                raise _error(key, _("不是有效的 JSON。")) from None
            raw = [part for part in text.replace("，", ",").replace(" ", ",").split(",") if part]
    if raw is None or raw == "":
        return None
    if spec.shape == "money":
        return _money(key, raw)
    if spec.shape == "rate":
        return _rate(key, raw)
    if spec.shape == "int":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise _error(key, _("应为整数。")) from None
        if not 0 <= value <= 100:
            raise _error(key, _("应为0至100之间的整数。"))
        return value
    if spec.shape == "bool":
        if raw not in (True, False):
            raise _error(key, _("应为 true 或 false。"))
        return raw
    if spec.shape == "set":
        if not isinstance(raw, (list, tuple)) or not raw or not all(isinstance(m, str) for m in raw):
            raise _error(key, _("应为非空的取值列表。"))
        members = spec.members or (_cluster_codes() if key == "clusters" else ())
        if members:
            unknown = sorted(set(raw) - set(members))
            if unknown:
                raise _error(key, _("未知取值：%(values)s；可选：%(allowed)s。") % {
                    "values": ", ".join(unknown)[:200], "allowed": ", ".join(members)})
        return sorted(set(raw))
    return _formula(key, raw)


def display(value) -> str:
    """A parameter value as text for pages (JSON for structures)."""
    if value is None:
        return "—"
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
