"""Exchange format v1 (docs/exchange-format.md): the sheets, their columns and the enumerations.

This module is the one description of the format: the importer, the exporter, the blank templates
and the help sheet are all generated from it. Only additions are allowed (new optional columns).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from achievements.choices import AchievementStatus, IPType, TransformationMode, TransformationStatus, UnitType
from core import registry

FORMAT_VERSION = 1

# Cell kinds: how a raw cell is parsed (see ``exchange.cells``).
TEXT = "text"
CREDIT_CODE = "credit_code"
REGION = "region"
ENUM = "enum"
BOOL = "bool"
DATE = "date"
DECIMAL = "decimal"
TRL = "trl"
PATENT_NO = "patent_no"
CLUSTER = "cluster"

YES_NO = {True: ("yes", "是"), False: ("no", "否")}


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header, as in docs/exchange-format.md (also the msgid of its translation)
    required: bool
    kind: str
    max_length: int = 0
    choices: type[models.TextChoices] | None = None
    note: str = ""  # when an optional column becomes required, for the help sheet
    field: str = ""  # the model field it fills, when not ``key`` (the validator names it in errors)
    via: str = ""  # a foreign key: the related record's field the cell holds (a unit's code, …)
    of: str = ""  # describes another record (the contract's transferee), not the sheet's own

    def display_label(self) -> str:
        return str(_(self.label))

    @functools.cached_property
    def lazy_label(self):
        """The header, translated when shown (a message built per cell pays only when it is shown)."""
        return _(self.label)

    @property
    def model_field(self) -> str:
        return self.field or self.key

    @property
    def lookup(self) -> str:
        """How the registry's value of this column is read (``values_list``)."""
        return f"{self.model_field}__{self.via}" if self.via else self.model_field


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    title: str = ""
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "index", {c.key: i for i, c in enumerate(self.columns)})

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def compared(self) -> tuple[Column, ...]:
        """The columns compared with the registry's record: its own, not its key."""
        return tuple(c for c in self.columns if c.key not in self.key and not c.of)

    def plain_fields(self, *, compared: bool = False) -> tuple[str, ...]:
        """Model fields filled straight from a cell (no foreign key), in column order."""
        columns = self.compared if compared else self.columns
        return tuple(c.model_field for c in columns if not c.via and not c.of)

    def column_of_field(self, name: str) -> Column | None:
        """The column that fills model field ``name`` (how a model's error names a column)."""
        return self._by_field.get(name)

    @functools.cached_property
    def _by_field(self) -> dict[str, Column]:
        return {c.model_field: c for c in self.columns if not c.of}


UNITS = Sheet(
    name="units",
    title="单位",
    key=("code",),
    columns=(
        Column("code", "统一社会信用代码", True, CREDIT_CODE),
        Column("name", "单位名称", True, TEXT, max_length=200),
        Column("type", "单位类型", True, ENUM, choices=UnitType),
        Column("region", "所在地区代码", True, REGION),
    ),
)

ACHIEVEMENTS = Sheet(
    name="achievements",
    title="科技成果",
    key=("unit_code", "ref"),
    columns=(
        Column("ref", "成果编号", True, TEXT, max_length=64),
        Column("unit_code", "完成单位代码", True, CREDIT_CODE, field="unit", via="code"),
        Column("title", "成果名称", True, TEXT, max_length=200),
        Column("ip_type", "知识产权类型", True, ENUM, choices=IPType),
        Column("patent_no", "专利号", False, PATENT_NO, note="专利类（发明、实用新型、外观设计）必填"),
        Column("trl", "技术成熟度", True, TRL),
        Column("cluster", "产业集群", False, CLUSTER, via="code"),
        Column("funded", "财政资助", True, BOOL),
        Column("registered_on", "登记日期", True, DATE),
        Column("ip_granted_on", "授权日期", False, DATE),
        Column("convertible", "可转化", True, BOOL),
        Column("status", "状态", True, ENUM, choices=AchievementStatus),
        Column("withdrawn_on", "撤回日期", False, DATE, note="状态为已撤回时必填"),
    ),
)

TRANSFORMATIONS = Sheet(
    name="transformations",
    title="转化合同",
    key=("unit_code", "ref"),
    columns=(
        Column("ref", "合同编号", True, TEXT, max_length=64),
        Column("unit_code", "完成单位代码", True, CREDIT_CODE, field="unit", via="code"),
        Column("achievement_ref", "成果编号", True, TEXT, max_length=64, field="achievement", via="ref"),
        Column("mode", "转化方式", True, ENUM, choices=TransformationMode),
        Column("transferee_name", "受让方名称", True, TEXT, max_length=200, field="name", of="transferee"),
        Column(
            "transferee_code", "受让方统一社会信用代码", True, CREDIT_CODE, field="transferee", via="code"
        ),
        Column("transferee_region", "受让方地区代码", True, REGION, field="region", of="transferee"),
        Column("signed_on", "签订日期", True, DATE),
        Column("amount", "合同金额（元）", True, DECIMAL),
        Column("received", "到账金额（元）", False, DECIMAL),
        Column("status", "状态", True, ENUM, choices=TransformationStatus),
    ),
)

SHEETS = (UNITS, ACHIEVEMENTS, TRANSFORMATIONS)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
# Sheet (or CSV file) names the importer accepts: the English name of the format (the contract) and the
# Chinese title that the blank template and the Chinese exports use (the UI terms), folded.
SHEET_ALIASES = {
    **{s.name.casefold(): s.name for s in SHEETS},
    **{s.title.casefold(): s.name for s in SHEETS},
}
# Sheets that are not data: the help sheet and the code lists of the dropdowns (ignored on import).
HELP_SHEET = {"zh": "说明", "en": "help"}
CODES_SHEET = "代码表"
OTHER_TITLES = {"transferees": "受让方"}  # the preview's count of transferees, not a sheet of its own


# The example row (row 2 of each sheet of the blank template). Its first cell starts with the
# marker; the importer ignores a row that carries the marker and equals the example in every column
# (and says so in the preview), and refuses one that carries the marker but was edited: real data
# typed over the example is never dropped silently (docs/exchange-format.md, the example row).
EXAMPLE_MARK = "【示例】"
EXAMPLE_UNIT = "12210200000008801Y"
EXAMPLES = {
    "units": (f"{EXAMPLE_MARK}{EXAMPLE_UNIT}", "示例大学（请替换为本单位）", "university", "210200"),
    "achievements": (
        f"{EXAMPLE_MARK}CG-2024-001",
        EXAMPLE_UNIT,
        "一种高强度耐蚀船用钢板的制备方法",
        "invention_patent",
        "201310699744.2",
        6,
        "A01",
        True,
        datetime.date(2024, 3, 15),
        datetime.date(2015, 6, 10),
        True,
        "active",
        None,
    ),
    "transformations": (
        f"{EXAMPLE_MARK}HT-2024-001",
        EXAMPLE_UNIT,
        "CG-2024-001",
        "transfer",
        "大连示例船舶装备有限公司",
        "91210211000508801L",
        "210211",
        datetime.date(2024, 6, 18),
        Decimal("1250000.00"),
        Decimal("500000.00"),
        "effective",
    ),
}


def is_example_mark(cell) -> bool:
    """The first cell of a row starts with the example marker (cheap for ordinary rows)."""
    return cell.__class__ is str and "【" in cell and cell.strip().startswith(EXAMPLE_MARK)


def canonical_sheet(name: str) -> str | None:
    """The format's sheet name for a sheet or CSV file name in either language (``科技成果`` →
    ``achievements``), or None for another sheet."""
    folded = _fold(name)
    return SHEET_ALIASES.get(folded) or added_aliases().get(folded)


def data_sheet_names() -> list[str]:
    """Every data sheet of the format, in the order the template and the exports write them: the
    registry's three, then the added sheets other apps declare (the help page names these)."""
    return [s.name for s in SHEETS] + [s.name for s in registry.exchange_sheets()]


def added_sheets() -> dict:
    """The added sheets other apps declare (``core.registry.ExchangeSheet``), by name."""
    return {s.name: s for s in registry.exchange_sheets()}


def added_aliases() -> dict[str, str]:
    """Folded name or Chinese title of an added sheet -> its name (``中试基地`` → ``pilot_bases``)."""
    aliases = {}
    for sheet in registry.exchange_sheets():
        aliases[_fold(sheet.name)] = sheet.name
        with translation.override("zh-hans"):
            aliases[_fold(str(sheet.title))] = sheet.name
    return aliases


def added_header_map(sheet) -> dict[str, str]:
    """Folded header (key or Chinese label) of an added sheet -> column key."""
    mapping = {}
    with translation.override("zh-hans"):
        for key, label in sheet.columns:
            mapping[_fold(key)] = key
            mapping[_fold(str(label))] = key
    return mapping


def english_ui() -> bool:
    return (translation.get_language() or "").startswith("en")


def sheet_label(name: str) -> str:
    """A sheet named in the user's language: its Chinese title (单位), or in English its name in the
    format (units). Problems and counts keep the format's name; this is how they are shown."""
    sheet = SHEETS_BY_NAME.get(name)
    title = sheet.title if sheet is not None else OTHER_TITLES.get(name)
    if title is None and name in added_sheets():
        with translation.override("zh-hans"):
            title = str(added_sheets()[name].title)
    if title is None:
        return name
    return name if english_ui() else title


def column_label(sheet_name: str, header: str) -> str:
    """A column of a problem or change shown in the user's language: the Chinese header, or in
    English the column's key. ``header`` is how the file (or the importer) named it; a header the
    format does not know is shown as written."""
    if sheet_name in added_sheets() and header:
        added = added_sheets()[sheet_name]
        key = added_header_map(added).get(_fold(header))
        if key is None or english_ui():
            return key or header
        with translation.override("zh-hans"):
            return str(dict(added.columns)[key])
    if sheet_name not in SHEETS_BY_NAME or not header:
        return header
    key = header_map(sheet_name).get(_fold(header))
    if key is None:
        return header
    sheet = SHEETS_BY_NAME[sheet_name]
    return key if english_ui() else sheet.columns[sheet.index[key]].label


def _fold(text: str) -> str:
    return str(text).strip().casefold()


@functools.cache
def header_map(sheet_name: str) -> dict[str, str]:
    """Folded header (English key or Chinese label) -> column key."""
    sheet = SHEETS_BY_NAME[sheet_name]
    mapping = {}
    for column in sheet.columns:
        mapping[_fold(column.key)] = column.key
        mapping[_fold(column.label)] = column.key
    return mapping


@functools.cache
def enum_map(choices: type[models.TextChoices]) -> dict[str, str]:
    """Folded English key or Chinese label -> stored value."""
    mapping = {}
    with translation.override("zh-hans"):
        for value, label in choices.choices:
            mapping[_fold(value)] = value
            mapping[_fold(str(label))] = value
    return mapping


@functools.cache
def chinese_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}


def column_format(column: Column) -> str:
    """A short description of the expected format (help sheet, docs)."""
    if column.kind == ENUM:
        labels = chinese_labels(column.choices)
        return " · ".join(f"{value} {label}" for value, label in labels.items())
    return {
        TEXT: str(_("文本，1–%(n)d 个字符")) % {"n": column.max_length},
        CREDIT_CODE: str(_("18位统一社会信用代码（GB 32100-2015），校验码须正确")),
        REGION: str(_("6位行政区划代码（GB/T 2260），例如 210200 大连市")),
        BOOL: "yes / no · 是 / 否",
        DATE: "YYYY-MM-DD",
        DECIMAL: str(_("金额（元），≥ 0，最多两位小数，不含千位分隔符")),
        TRL: str(_("1–9 的整数（GB/T 22900-2022）")),
        PATENT_NO: str(_("专利申请号，例如 201310699744.2；可带 ZL/CN 前缀")),
        CLUSTER: str(_("产业集群代码，例如 A01")),
    }[column.kind]
