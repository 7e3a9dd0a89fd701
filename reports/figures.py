"""The shape of a report's figure blocks (docs/reports.md, "The registry block") and the one parser of typed figures.

A block — the ``registry`` block prefilled from the registry and the unit's ``reported`` block —
holds, for each transformation mode (``self``, ``transfer``, ``license``, ``cooperation``,
``equity``, ``other``) and for ``local`` and ``non_local`` (all modes), an object
``{"contracts": n, "amount": "…", "received": "…"}``: contracts an integer, amounts decimal strings
in yuan with two places.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from achievements.choices import TransformationMode

MODES = tuple(TransformationMode.values)
PLACES = ("local", "non_local")
PARTS = (*MODES, *PLACES)
FIGURES = ("contracts", "amount", "received")
MONEY = ("amount", "received")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999999999.99")  # 16 digits, as contract amounts
MAX_COUNT = 999_999_999  # counts are integer columns (PostgreSQL refuses above 2,147,483,647)

PLACE_LABELS = {"local": gettext_lazy("省内企业"), "non_local": gettext_lazy("省外企业")}
FIGURE_LABELS = {
    "contracts": gettext_lazy("合同数"),
    "amount": gettext_lazy("合同金额（元）"),
    "received": gettext_lazy("到账金额（元）"),
}


def part_label(part: str) -> str:
    if part in PLACE_LABELS:
        return str(PLACE_LABELS[part])
    return str(TransformationMode(part).label)


def key_label(part: str, figure: str) -> str:
    """``转让 · 合同金额（元）``"""
    return f"{part_label(part)} · {FIGURE_LABELS[figure]}"


def empty_block() -> dict:
    return {part: {"contracts": 0, "amount": "0.00", "received": "0.00"} for part in PARTS}


def money(value) -> str:
    return str(Decimal(value or 0).quantize(CENT))


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_figure(raw, label, *, integer: bool = False, allow_blank: bool = True):
    """A figure as typed (page) or sent (API): ``None`` when blank, else an ``int`` or a ``Decimal``
    with two places. Anything else — ``1,2``, ``五万``, ``1e5``, a negative number, three decimals —
    is a ``ValidationError`` whose message names ``label`` and says what to type instead."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if allow_blank:
            return None
        raise ValidationError(_("%(label)s：请填写。") % {"label": label}, code="required")
    if isinstance(raw, bool):
        raise ValidationError(_("%(label)s：应为数字。") % {"label": label}, code="invalid")
    text = str(raw).strip()
    if integer:
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if not re.fullmatch(r"-?\d+", text):
            raise ValidationError(
                _("%(label)s：应为整数（阿拉伯数字，不带逗号、空格或汉字），收到“%(value)s”。")
                % {"label": label, "value": text},
                code="invalid",
            )
        try:
            value = int(text)
        except ValueError:  # more digits than Python converts: far above the maximum anyway
            value = MAX_COUNT + 1
        if value > MAX_COUNT:
            raise ValidationError(_("%(label)s：数额过大。") % {"label": label}, code="invalid")
    else:
        if not _PLAIN_NUMBER.match(text):
            raise ValidationError(
                _("%(label)s：应为以元为单位的数字，如 50000 或 12345.67（不带逗号、空格或汉字），收到“%(value)s”。")
                % {"label": label, "value": text},
                code="invalid",
            )
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise ValidationError(_("%(label)s：应为数字。") % {"label": label}, code="invalid") from None
        if value > MAX_AMOUNT:  # before quantizing: more digits than the context's precision raise
            raise ValidationError(_("%(label)s：数额过大。") % {"label": label}, code="invalid")
        if value < -MAX_AMOUNT:
            raise ValidationError(_("%(label)s：不能为负数。") % {"label": label}, code="negative")
        if value != value.quantize(CENT):
            raise ValidationError(_("%(label)s：最多两位小数（分）。") % {"label": label}, code="invalid")
        value = value.quantize(CENT)
    if value < 0:
        raise ValidationError(_("%(label)s：不能为负数。") % {"label": label}, code="negative")
    return value


def parse_block(data, *, prefix: str = "reported") -> dict:
    """A whole block sent by a client (API): every part and figure present and valid. Errors are
    collected for all keys (``reported.transfer.amount``) in one ``ValidationError``."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise ValidationError({prefix: [_("应为按转化方式及省内外分列的对象。")]})
    unknown = sorted(set(data) - set(PARTS))
    if unknown:
        errors[prefix] = [_("未知的部分：%(parts)s") % {"parts": ", ".join(unknown)}]
    block = {}
    for part in PARTS:
        given = data.get(part)
        if not isinstance(given, dict):
            errors[f"{prefix}.{part}"] = [_("%(label)s：缺少该部分。") % {"label": part_label(part)}]
            continue
        block[part] = {}
        for figure in FIGURES:
            key = f"{prefix}.{part}.{figure}"
            try:
                value = parse_figure(
                    given.get(figure), key_label(part, figure), integer=figure == "contracts", allow_blank=False
                )
            except ValidationError as exc:
                errors[key] = exc.messages
                continue
            block[part][figure] = value if figure == "contracts" else money(value)
    if errors:
        raise ValidationError(errors)
    return block


def block_total(block: dict, parts=MODES) -> dict:
    """Sum of ``parts`` of a block: ``{"contracts": int, "amount": Decimal, "received": Decimal}``."""
    total = {"contracts": 0, "amount": Decimal("0.00"), "received": Decimal("0.00")}
    for part in parts:
        values = block.get(part) or {}
        total["contracts"] += int(values.get("contracts") or 0)
        for figure in MONEY:
            total[figure] += Decimal(values.get(figure) or 0)
    return total


# The report's sections (domain: "Annual report: contents"), in page order: (title, field names).
SECTIONS = (
    ("sme", gettext_lazy("向中小企业转化"), ("sme_contracts", "sme_amount", "sme_received")),
    ("services", gettext_lazy("技术开发、咨询、服务合同"), ("service_contracts", "service_amount", "service_received")),
    ("fiscal", gettext_lazy("财政资助项目成果转化"), ("fiscal_transformed",)),
    ("ventures", gettext_lazy("创设与参股企业、兼职与离岗创业"), ("companies", "venture_staff")),
    (
        "rewards",
        gettext_lazy("对个人的现金和股权奖励"),
        ("net_income", "reward_cash", "reward_equity", "rewarded_people", "team_share_explanation"),
    ),
    ("office", gettext_lazy("技术转移机构"), ("tto_exists", "tto_staff", "tto_managers")),
    ("cases", gettext_lazy("典型案例、问题与建议"), ("typical_cases", "problems")),
)
SECTION_FIELDS = tuple(name for _key, _title, names in SECTIONS for name in names)
TRIPLES = (("sme_contracts", "sme_amount", "sme_received"), ("service_contracts", "service_amount", "service_received"))
