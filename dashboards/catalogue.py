"""The metric catalogue: every statistics figure declared once (docs/metrics.md, "Adding a metric").

One ``Metric`` per figure says what it is called (``name``, ``label``), what it means (the
"计算口径" ``definition`` shown on pages and in the API, and the English ``doc`` of docs/metrics.md),
its ``kind`` (count, amount, rate, growth), how it is aggregated from the snapshot cells
(``aggregate``), the list that reproduces it (``drilldown``), whether it is a figure of contracts
only (given in the breakdown by transformation mode), and where the dashboard shows it. Everything
else is derived from this module:

- the snapshot's figure columns (``SNAPSHOT_COLUMNS``, checked against ``StatCell``) and the
  engine's column lists;
- the sums, distinct-unit counts and formulas of ``dashboards.selectors``;
- the API's fields, their OpenAPI types and help texts, and the CSV/Excel headers;
- the dashboard's tiles, table columns, drill-down links and definitions;
- the table of docs/metrics.md (``render_docs_table``; ``manage.py metrics_doc`` writes it).

The rules themselves (stock, effective contract, signed in / by year Y) are written once as Q
builders in ``achievements.selectors``; the engine fills the snapshot columns from them.

Labels and definitions are lazy translations: they are translated where they are shown, never
forced to text here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

ACHIEVEMENT_LIST = "achievements:achievement_list"
CONTRACT_LIST = "achievements:transformation_list"


class Kind(StrEnum):
    COUNT = "count"  # an integer
    AMOUNT = "amount"  # yuan, a decimal string with 2 places
    RATE = "rate"  # a ratio rounded half-up to 4 places, null when the denominator is 0
    GROWTH = "growth"  # current / previous − 1, rounded like a rate, null when previous is 0


# OpenAPI type of each kind (the serializer field follows from it, see ``api_field``).
API_TYPES = {
    Kind.COUNT: "integer",
    Kind.AMOUNT: "string (decimal, 2 places)",
    Kind.RATE: "number, nullable",
    Kind.GROWTH: "number, nullable",
}


# ---------------------------------------------------------------- snapshot columns


@dataclass(frozen=True)
class Column:
    """An additive figure column of ``StatCell``: summed over the cells of any scope."""

    name: str
    doc: str
    money: bool = False


SNAPSHOT_COLUMNS = (
    Column("achievements", "stock achievements"),
    Column("convertible", "stock achievements marked convertible"),
    Column("transformed_by", "stock achievements with an effective contract signed on or before 31 Dec Y"),
    Column("transformed", "distinct achievements with an effective contract signed in Y"),
    Column("contracts", "effective contracts signed in Y"),
    Column("local_contracts", "effective contracts signed in Y with a local transferee"),
    Column("amount", "sum of `amount` of the effective contracts signed in Y", money=True),
    Column("received", "sum of `received` (missing: 0) of the same contracts", money=True),
    Column("local_amount", "sum of `amount` of those with a local transferee", money=True),
)
COLUMN_NAMES = tuple(column.name for column in SNAPSHOT_COLUMNS)
COUNT_COLUMNS = tuple(column.name for column in SNAPSHOT_COLUMNS if not column.money)
MONEY_COLUMNS = tuple(column.name for column in SNAPSHOT_COLUMNS if column.money)
# The column that says "a unit has a contract signed in Y" (same-unit growth).
CONTRACTS_COLUMN = "contracts"


# ---------------------------------------------------------------- how a figure aggregates


class Figures:
    """What an aggregate reads: the summed columns of Y (and Y−1), distinct-unit counts, and the
    sums over the units with contracts in both years. Implemented by ``dashboards.selectors``."""

    def current(self, column: str):  # pragma: no cover - interface
        raise NotImplementedError

    def previous(self, column: str):  # pragma: no cover - interface
        raise NotImplementedError

    def distinct_units(self, column: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def same_units(self, column: str) -> tuple:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Sum:
    """The sum of a snapshot column over the cells of year Y."""

    column: str

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def compute(self, figures: Figures):
        return figures.current(self.column)

    def describe(self) -> str:
        return f"Σ `{self.column}`"


@dataclass(frozen=True)
class DistinctUnits:
    """The number of distinct units whose cells of year Y have ``column`` > 0."""

    column: str

    def columns(self) -> tuple[str, ...]:
        return ()

    def compute(self, figures: Figures):
        return figures.distinct_units(self.column)

    def describe(self) -> str:
        return f"units with Σ `{self.column}` > 0"


@dataclass(frozen=True)
class Ratio:
    """Σ numerator ÷ Σ denominator over the cells of year Y (None when the denominator is 0)."""

    numerator: str
    denominator: str

    def columns(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)

    def compute(self, figures: Figures):
        return rate(figures.current(self.numerator), figures.current(self.denominator))

    def describe(self) -> str:
        return f"Σ `{self.numerator}` ÷ Σ `{self.denominator}`"


@dataclass(frozen=True)
class Growth:
    """Σ column(Y) ÷ Σ column(Y−1) − 1. ``same_units``: both sums over only the units of the scope
    that have a contract signed in Y and one signed in Y−1 (cells with ``contracts`` > 0)."""

    column: str
    same_units: bool = False

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def compute(self, figures: Figures):
        if self.same_units:
            return growth(*figures.same_units(self.column))
        return growth(figures.current(self.column), figures.previous(self.column))

    def describe(self) -> str:
        if self.same_units:
            return (
                f"Σ `{self.column}`(Y) ÷ Σ `{self.column}`(Y−1) − 1 over the units with "
                f"`{CONTRACTS_COLUMN}` > 0 in both years"
            )
        return f"Σ `{self.column}`(Y) ÷ Σ `{self.column}`(Y−1) − 1"


# ---------------------------------------------------------------- drill-downs

YEAR = object()  # stands for the figure's year in drill-down parameters


@dataclass(frozen=True)
class Drilldown:
    """The list whose records make up the figure: ``url_name`` with ``params`` (``YEAR``: the year)."""

    url_name: str
    params: tuple[tuple[str, object], ...]

    def query(self, year: int) -> dict:
        return {name: year if value is YEAR else value for name, value in self.params}

    def describe(self) -> str:
        from django.urls import reverse  # at render time: the URLconf imports the catalogue's users

        path = reverse(self.url_name)
        query = "&".join(f"{name}={'Y' if value is YEAR else value}" for name, value in self.params)
        return f"`{path}?{query}`"


def _list(url_name: str, **params) -> Drilldown:
    return Drilldown(url_name, tuple(params.items()))


_SIGNED = {"signed_year": YEAR, "status": "effective"}
STOCK_LIST = _list(ACHIEVEMENT_LIST, stock_year=YEAR)
CONTRACTS_OF_YEAR = _list(CONTRACT_LIST, **_SIGNED)
LOCAL_CONTRACTS_OF_YEAR = _list(CONTRACT_LIST, **_SIGNED, local="true")


# ---------------------------------------------------------------- the metrics


@dataclass(frozen=True)
class Metric:
    name: str
    label: Promise  # full label, with the unit of amounts in yuan (API, exports, definitions)
    definition: Promise  # the "计算口径" text shown with the figure
    doc: str  # the definition in docs/metrics.md
    kind: Kind
    aggregate: Sum | DistinctUnits | Ratio | Growth
    drilldown: Drilldown | None = None
    contract_only: bool = False  # a figure of contracts only: also given per transformation mode
    addition: bool = False  # an addition: answered after the reference fields (docs/metrics.md)
    tile: Promise | None = None  # the dashboard shows a headline tile with this label
    column: Promise | None = None  # header in the dashboard's tables (default: the label)
    trend: bool = False  # a column of the dashboard's year-by-year table
    count_unit: str = "achievement"  # the noun of a count (core.numbers.WORDS: 项, achievement(s))
    example: object = None  # the value in the API's example answer

    @property
    def api_type(self) -> str:
        return API_TYPES[self.kind]

    @property
    def nullable(self) -> bool:
        return self.kind in (Kind.RATE, Kind.GROWTH)

    @property
    def column_label(self) -> Promise:
        return self.column or self.label


_EFFECTIVE = _("仅统计状态为“有效”的转化合同。")


def _effective_only(definition):
    """The definition followed by the effective-contracts rule; lazy, so translated when shown."""
    return format_lazy("{}{}", definition, _EFFECTIVE)


STOCK_DOC = "achievements of S registered on or before 31 Dec Y and not withdrawn on or before 31 Dec Y"
STOCK_LABEL = _("科技成果存量")  # the term's label in the definitions box (it is no metric)
STOCK_DEFINITION = _(
    "存量：登记日期不晚于当年12月31日、且在当年12月31日（含）之前未撤回的科技成果（统计范围内）。"
)

CATALOGUE = (
    Metric(
        "achievements",
        label=_("科技成果数"),
        definition=_("科技成果数：存量成果的数量。"),
        doc="the size of the stock",
        kind=Kind.COUNT,
        aggregate=Sum("achievements"),
        drilldown=STOCK_LIST,
        tile=_("科技成果存量"),
        column=_("成果存量"),
        trend=True,
        example=12730,
    ),
    Metric(
        "convertible",
        label=_("可转化成果数"),
        definition=_("可转化成果数：存量成果中标记为“可转化”的数量。"),
        doc="stock achievements marked convertible (可转化)",
        kind=Kind.COUNT,
        aggregate=Sum("convertible"),
        drilldown=_list(ACHIEVEMENT_LIST, stock_year=YEAR, convertible="true"),
        tile=_("可转化成果"),
        column=_("可转化成果"),
        trend=True,
        example=4016,
    ),
    Metric(
        "units",
        label=_("单位数"),
        definition=_("单位数：拥有存量成果的不同单位的数量。"),
        doc="distinct units owning a stock achievement",
        kind=Kind.COUNT,
        aggregate=DistinctUnits("achievements"),
        example=40,
    ),
    Metric(
        "convertible_units",
        label=_("可转化成果单位数"),
        definition=_("可转化成果单位数：拥有可转化存量成果的不同单位的数量。"),
        doc="distinct units owning a convertible stock achievement",
        kind=Kind.COUNT,
        aggregate=DistinctUnits("convertible"),
        example=40,
    ),
    Metric(
        "transformed",
        label=_("转化成果数"),
        definition=_effective_only(
            _("转化成果数：当年签订了转化合同的不同成果的数量（一项成果多份合同只计一次）。")
        ),
        doc="distinct achievements of S with a contract signed in Y",
        kind=Kind.COUNT,
        aggregate=Sum("transformed"),
        drilldown=_list(ACHIEVEMENT_LIST, transformed_in=YEAR),
        contract_only=True,
        tile=_("当年转化成果"),
        column=_("当年转化成果"),
        trend=True,
        example=7638,
    ),
    Metric(
        "transforming_units",
        label=_("开展转化的单位数"),
        definition=_effective_only(_("开展转化的单位数：当年签订了转化合同的不同单位的数量。")),
        doc="distinct units of S with a contract signed in Y",
        kind=Kind.COUNT,
        aggregate=DistinctUnits("transformed"),
        contract_only=True,
        example=40,
    ),
    Metric(
        "contracts",
        label=_("转化合同数"),
        definition=_effective_only(_("转化合同数：当年签订的转化合同份数。")),
        doc="contracts of S signed in Y",
        kind=Kind.COUNT,
        aggregate=Sum("contracts"),
        drilldown=CONTRACTS_OF_YEAR,
        contract_only=True,
        tile=_("转化合同"),
        column=_("转化合同"),
        trend=True,
        count_unit="contract",
        example=8100,
    ),
    Metric(
        "amount",
        label=_("合同金额（元）"),
        definition=_effective_only(_("合同金额：当年签订的转化合同的合同金额之和（元）。")),
        doc="sum of `amount` over the contracts of S signed in Y",
        kind=Kind.AMOUNT,
        aggregate=Sum("amount"),
        drilldown=CONTRACTS_OF_YEAR,
        contract_only=True,
        tile=_("合同金额"),
        column=_("合同金额（万元）"),
        trend=True,
        example="4026000000.00",
    ),
    Metric(
        "received",
        label=_("到账金额（元）"),
        definition=_effective_only(_("到账金额：当年签订的转化合同的到账金额之和（元，未填写按0计）。")),
        doc="sum of `received` over the same contracts (a missing value counts as 0)",
        kind=Kind.AMOUNT,
        aggregate=Sum("received"),
        drilldown=CONTRACTS_OF_YEAR,
        contract_only=True,
        tile=_("到账金额"),
        column=_("到账金额（万元）"),
        trend=True,
        example="1800000000.00",
    ),
    Metric(
        "conversion_rate",
        label=_("转化率"),
        definition=_effective_only(
            _(
                "转化率：存量成果中，在当年12月31日（含）之前签订过转化合同的成果数 ÷ 科技成果数；分母为0时为空。"
            )
        ),
        doc="stock achievements with a contract signed on or before 31 Dec Y, divided by `achievements`",
        kind=Kind.RATE,
        aggregate=Ratio("transformed_by", "achievements"),
        # The numerator: stock achievements transformed on or before 31 Dec Y.
        drilldown=_list(ACHIEVEMENT_LIST, stock_year=YEAR, transformed_by=YEAR),
        tile=_("转化率"),
        trend=True,
        example=0.6,
    ),
    Metric(
        "local_rate_amount",
        label=_("本地转化率（金额）"),
        definition=_(
            "本地转化率（金额）：受让方地区代码以21开头（辽宁省内）的当年合同金额 ÷ 当年合同金额；分母为0时为空。"
        ),
        doc="`amount` of the contracts with a local transferee, divided by `amount`",
        kind=Kind.RATE,
        aggregate=Ratio("local_amount", "amount"),
        drilldown=LOCAL_CONTRACTS_OF_YEAR,  # the numerator's contracts
        contract_only=True,
        tile=_("本地转化率（按金额）"),
        column=_("本地转化率（按金额）"),
        trend=True,
        example=0.401,
    ),
    Metric(
        "local_rate_count",
        label=_("本地转化率（合同数）"),
        definition=_("本地转化率（合同数）：受让方在辽宁省内的当年合同份数 ÷ 当年合同份数；分母为0时为空。"),
        doc="`contracts` with a local transferee, divided by `contracts`",
        kind=Kind.RATE,
        aggregate=Ratio("local_contracts", "contracts"),
        drilldown=LOCAL_CONTRACTS_OF_YEAR,
        contract_only=True,
        tile=_("本地转化率（按合同数）"),
        example=0.45,
    ),
    Metric(
        "yoy_transformed",
        label=_("转化成果数同比"),
        definition=_("转化成果数同比：当年转化成果数 ÷ 上年转化成果数 − 1；上年为0时为空。"),
        doc="`transformed`(Y) / `transformed`(Y−1) − 1",
        kind=Kind.GROWTH,
        aggregate=Growth("transformed"),
        example=0.56,
    ),
    Metric(
        "yoy_amount",
        label=_("合同金额同比"),
        definition=_("合同金额同比：当年合同金额 ÷ 上年合同金额 − 1；上年为0时为空。"),
        doc="`amount`(Y) / `amount`(Y−1) − 1",
        kind=Kind.GROWTH,
        aggregate=Growth("amount"),
        example=0.9,
    ),
    # Additions (answered after the reference fields of docs/metrics.md, in this order).
    Metric(
        "local_contracts",
        label=_("本地转化合同数"),
        definition=_effective_only(
            _("本地转化合同数：当年签订、受让方地区代码以21开头（辽宁省内）的转化合同份数。")
        ),
        doc="contracts of S signed in Y with a local transferee (the numerator of `local_rate_count`)",
        kind=Kind.COUNT,
        aggregate=Sum("local_contracts"),
        drilldown=LOCAL_CONTRACTS_OF_YEAR,
        contract_only=True,
        addition=True,
        count_unit="contract",
        example=3645,
    ),
    Metric(
        "local_amount",
        label=_("本地转化合同金额（元）"),
        definition=_effective_only(
            _("本地转化合同金额：当年签订、受让方在辽宁省内的转化合同的合同金额之和（元）。")
        ),
        doc="`amount` of those contracts (the numerator of `local_rate_amount`)",
        kind=Kind.AMOUNT,
        aggregate=Sum("local_amount"),
        drilldown=LOCAL_CONTRACTS_OF_YEAR,
        contract_only=True,
        addition=True,
        example="1614426000.00",
    ),
    Metric(
        "received_rate",
        label=_("到账率"),
        definition=_effective_only(
            _("到账率：当年签订的转化合同的到账金额之和 ÷ 其合同金额之和；分母为0时为空。")
        ),
        doc="`received` / `amount`",
        kind=Kind.RATE,
        aggregate=Ratio("received", "amount"),
        drilldown=CONTRACTS_OF_YEAR,  # the list's totals give both sums
        contract_only=True,
        addition=True,
        tile=_("到账率"),
        trend=True,
        example=0.4471,
    ),
    Metric(
        "yoy_transformed_same_units",
        label=_("转化成果数同比（同口径单位）"),
        definition=_effective_only(
            _(
                "转化成果数同比（同口径单位）：只计当年和上年都签订了转化合同的单位，"
                "这些单位的当年转化成果数 ÷ 其上年转化成果数 − 1；上年为0时为空。"
            )
        ),
        doc=(
            "over the units of S that have a contract signed in Y **and** one signed in Y−1: "
            "`transformed`(Y) / `transformed`(Y−1) − 1, both counted over those units only"
        ),
        kind=Kind.GROWTH,
        aggregate=Growth("transformed", same_units=True),
        addition=True,
        tile=_("转化成果同比（同口径单位）"),
        column=_("转化成果同比（同口径）"),
        trend=True,
        example=0.31,
    ),
    Metric(
        "yoy_amount_same_units",
        label=_("合同金额同比（同口径单位）"),
        definition=_effective_only(
            _(
                "合同金额同比（同口径单位）：只计当年和上年都签订了转化合同的单位，"
                "这些单位的当年合同金额 ÷ 其上年合同金额 − 1；上年为0时为空。"
            )
        ),
        doc="the same as `yoy_transformed_same_units`, for `amount`",
        kind=Kind.GROWTH,
        aggregate=Growth("amount", same_units=True),
        addition=True,
        tile=_("合同金额同比（同口径单位）"),
        column=_("合同金额同比（同口径）"),
        trend=True,
        example=0.62,
    ),
)

METRICS_BY_NAME = {metric.name: metric for metric in CATALOGUE}
METRICS = tuple(METRICS_BY_NAME)
SPEC_METRICS = tuple(m.name for m in CATALOGUE if not m.addition)  # the reference order (docs/metrics.md)
ADDED_METRICS = tuple(m.name for m in CATALOGUE if m.addition)
CONTRACT_METRICS = tuple(m.name for m in CATALOGUE if m.contract_only)
TILE_METRICS = tuple(m.name for m in CATALOGUE if m.tile)
TREND_METRICS = tuple(m.name for m in CATALOGUE if m.trend)
# The "计算口径" of every metric, and of the stock they refer to.
METRIC_DEFINITIONS = {"stock": STOCK_DEFINITION, **{m.name: m.definition for m in CATALOGUE}}
METRIC_LABELS = {m.name: m.label for m in CATALOGUE}


def metric(name: str) -> Metric:
    return METRICS_BY_NAME[name]


def summed_columns() -> tuple[str, ...]:
    """The snapshot columns whose sums over year Y some metric reads."""
    used = {c for m in CATALOGUE for c in m.aggregate.columns()}
    return tuple(c for c in COLUMN_NAMES if c in used)


def previous_columns() -> tuple[str, ...]:
    """The columns whose sums over year Y−1 a (whole-scope) growth reads."""
    used = {
        m.aggregate.column
        for m in CATALOGUE
        if isinstance(m.aggregate, Growth) and not m.aggregate.same_units
    }
    return tuple(c for c in COLUMN_NAMES if c in used)


def same_unit_columns() -> tuple[str, ...]:
    """The columns a same-unit growth reads (per unit, in Y and Y−1)."""
    used = {
        m.aggregate.column for m in CATALOGUE if isinstance(m.aggregate, Growth) and m.aggregate.same_units
    }
    return tuple(c for c in COLUMN_NAMES if c in used)


def distinct_unit_metrics() -> dict[str, str]:
    """metric -> column, for the metrics that count distinct units."""
    return {m.name: m.aggregate.column for m in CATALOGUE if isinstance(m.aggregate, DistinctUnits)}


def growth_of(column: str) -> str | None:
    """The whole-scope growth metric of a column (e.g. ``amount`` -> ``yoy_amount``), if any."""
    for m in CATALOGUE:
        if isinstance(m.aggregate, Growth) and not m.aggregate.same_units and m.aggregate.column == column:
            return m.name
    return None


# ---------------------------------------------------------------- reporting

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


def report(metric_: Metric, figures: Figures):
    """The reported value of a metric: counts as integers, amounts as strings, rates as floats."""
    value = metric_.aggregate.compute(figures)
    if metric_.kind == Kind.COUNT:
        return int(value or 0)
    if metric_.kind == Kind.AMOUNT:
        return money(value)
    return value


# ---------------------------------------------------------------- docs/metrics.md

DOCS_BEGIN = "<!-- metrics-table:begin (generated by `python manage.py metrics_doc`; do not edit) -->"
DOCS_END = "<!-- metrics-table:end -->"


def render_docs_table() -> str:
    """The Markdown tables of docs/metrics.md: the metrics, then the snapshot columns they read.

    The Chinese label and "计算口径" are the msgids (what a Chinese page shows)."""
    with translation.override(None):  # the msgids, whatever language is active
        return _docs_table()


def _docs_table() -> str:
    lines = [
        "| name | label (标签) | kind | API type | definition, for year Y in scope S | from the snapshot cells "
        "| drill-down list | per mode |",
        "|---|---|---|---|---|---|---|---|",
        f"| `stock` *(a term, not a figure)* | — | — | — | {STOCK_DOC} | — | — | — |",
    ]
    for m in CATALOGUE:
        addition = " *(addition)*" if m.addition else ""
        lines.append(
            f"| `{m.name}`{addition} | {m.label} | {m.kind} | {m.api_type} | {m.doc} "
            f"| {m.aggregate.describe()} | {m.drilldown.describe() if m.drilldown else '—'} "
            f"| {'yes' if m.contract_only else '—'} |"
        )
    lines += [
        "",
        "| snapshot column | holds, per cell (unit × cluster [× dimension] × year) | type |",
        "|---|---|---|",
    ]
    for column in SNAPSHOT_COLUMNS:
        lines.append(
            f"| `{column.name}` | {column.doc} | {'decimal (yuan)' if column.money else 'integer'} |"
        )
    lines += [
        "",
        "| name | 计算口径 (shown with the figure on the pages and in `/api/v1/stats/`) |",
        "|---|---|",
    ]
    for name, definition in METRIC_DEFINITIONS.items():
        lines.append(f"| `{name}` | {definition} |")
    return "\n".join(lines)


def docs_with_table(text: str) -> str:
    """``text`` (docs/metrics.md) with the generated tables between the markers replaced."""
    head, rest = text.split(DOCS_BEGIN, 1)
    _old, tail = rest.split(DOCS_END, 1)
    return f"{head}{DOCS_BEGIN}\n{render_docs_table()}\n{DOCS_END}{tail}"
