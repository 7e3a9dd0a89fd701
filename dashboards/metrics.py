"""The metrics of data-spec.md §2: names, their "计算口径" text, and how figures are reported.

The rules themselves (stock, effective contract, signed in / by year Y) are written once as Q
builders in ``achievements.selectors``; the engine builds its aggregates from those builders and
this module only names the metrics, explains them and formats them.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

COUNT_METRICS = (
    "achievements",
    "convertible",
    "units",
    "convertible_units",
    "transformed",
    "transforming_units",
    "contracts",
)
AMOUNT_METRICS = ("amount", "received")
RATE_METRICS = ("conversion_rate", "local_rate_amount", "local_rate_count", "yoy_transformed", "yoy_amount")
# Added to data-spec §3 (extending, never changing it): the numerators of the local rates, so that the
# local / out-of-province split can be shown exactly rather than worked back from rounded rates.
LOCAL_METRICS = ("local_contracts", "local_amount")
METRICS = COUNT_METRICS + AMOUNT_METRICS + RATE_METRICS + LOCAL_METRICS

# Metrics of contracts only: the breakdown by transformation mode reports these.
CONTRACT_METRICS = (
    "transformed",
    "transforming_units",
    "contracts",
    "amount",
    "received",
    "local_rate_amount",
    "local_rate_count",
    *LOCAL_METRICS,
)

_EFFECTIVE = _("仅统计状态为“有效”的转化合同。")


def _effective_only(definition):
    """The definition followed by the effective-contracts rule; lazy, so translated when shown."""
    return format_lazy("{}{}", definition, _EFFECTIVE)


METRIC_DEFINITIONS = {
    "stock": _(
        "存量：登记日期不晚于当年12月31日、且在当年12月31日（含）之前未撤回的科技成果（统计范围内）。"
    ),
    "achievements": _("科技成果数：存量成果的数量。"),
    "convertible": _("可转化成果数：存量成果中标记为“可转化”的数量。"),
    "units": _("单位数：拥有存量成果的不同单位的数量。"),
    "convertible_units": _("可转化成果单位数：拥有可转化存量成果的不同单位的数量。"),
    "transformed": _effective_only(
        _("转化成果数：当年签订了转化合同的不同成果的数量（一项成果多份合同只计一次）。")
    ),
    "transforming_units": _effective_only(_("开展转化的单位数：当年签订了转化合同的不同单位的数量。")),
    "contracts": _effective_only(_("转化合同数：当年签订的转化合同份数。")),
    "amount": _effective_only(_("合同金额：当年签订的转化合同的合同金额之和（元）。")),
    "received": _effective_only(_("到账金额：当年签订的转化合同的到账金额之和（元，未填写按0计）。")),
    "conversion_rate": _effective_only(
        _("转化率：存量成果中，在当年12月31日（含）之前签订过转化合同的成果数 ÷ 科技成果数；分母为0时为空。")
    ),
    "local_rate_amount": _(
        "本地转化率（金额）：受让方地区代码以21开头（辽宁省内）的当年合同金额 ÷ 当年合同金额；分母为0时为空。"
    ),
    "local_rate_count": _(
        "本地转化率（合同数）：受让方在辽宁省内的当年合同份数 ÷ 当年合同份数；分母为0时为空。"
    ),
    "yoy_transformed": _("转化成果数同比：当年转化成果数 ÷ 上年转化成果数 − 1；上年为0时为空。"),
    "yoy_amount": _("合同金额同比：当年合同金额 ÷ 上年合同金额 − 1；上年为0时为空。"),
    "local_contracts": _effective_only(
        _("本地转化合同数：当年签订、受让方地区代码以21开头（辽宁省内）的转化合同份数。")
    ),
    "local_amount": _effective_only(
        _("本地转化合同金额：当年签订、受让方在辽宁省内的转化合同的合同金额之和（元）。")
    ),
}

METRIC_LABELS = {
    "achievements": _("科技成果数"),
    "convertible": _("可转化成果数"),
    "units": _("单位数"),
    "convertible_units": _("可转化成果单位数"),
    "transformed": _("转化成果数"),
    "transforming_units": _("开展转化的单位数"),
    "contracts": _("转化合同数"),
    "amount": _("合同金额（元）"),
    "received": _("到账金额（元）"),
    "conversion_rate": _("转化率"),
    "local_rate_amount": _("本地转化率（金额）"),
    "local_rate_count": _("本地转化率（合同数）"),
    "yoy_transformed": _("转化成果数同比"),
    "yoy_amount": _("合同金额同比"),
    "local_contracts": _("本地转化合同数"),
    "local_amount": _("本地转化合同金额（元）"),
}

_RATE_PLACES = Decimal("0.0001")
_AMOUNT_PLACES = Decimal("0.01")


def rate(numerator, denominator) -> float | None:
    """A ratio rounded half-up to 4 places; ``None`` when the denominator is zero."""
    if not denominator:
        return None
    value = (Decimal(numerator) / Decimal(denominator)).quantize(_RATE_PLACES, rounding=ROUND_HALF_UP)
    return float(value)


def growth(current, previous) -> float | None:
    """Year-on-year change current / previous − 1, rounded like a rate; ``None`` when previous is 0."""
    if not previous:
        return None
    value = (Decimal(current) / Decimal(previous) - 1).quantize(_RATE_PLACES, rounding=ROUND_HALF_UP)
    return float(value)


def money(value) -> str:
    """Yuan as a decimal string with 2 places."""
    return str(Decimal(value or 0).quantize(_AMOUNT_PLACES, rounding=ROUND_HALF_UP))
