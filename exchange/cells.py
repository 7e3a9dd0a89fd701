"""Parsing of single cells into the values stored in the registry.

A parser takes a raw, non-empty cell value (``str`` from CSV or a text cell; ``int``/``float``/
``datetime``/``bool`` from typed Excel cells) and returns the normalised value, or raises
``CellError`` with a message for the user. Parsers are plain functions: the importer calls them
hundreds of thousands of times.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import regions
from core.spreadsheets import neutralise, unneutralise  # noqa: F401 (re-exported)
from core.validators import (
    normalize_credit_code,
    normalize_patent_no,
    validate_credit_code,
    validate_record_date,
    validate_region_code,
)

from . import format as fmt

MAX_AMOUNT_DIGITS = 14  # DecimalField(max_digits=16, decimal_places=2)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL_RE = re.compile(r"^\d+(\.\d+)?$")
_INT_RE = re.compile(r"^\d+$")


class CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def as_text(raw) -> str:
    """The text of a cell: numbers typed into Excel (a ref ``1001``) become ``"1001"``."""
    if raw.__class__ is str:
        text = raw.strip()
        return unneutralise(text) if text[:1] == "'" else text
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat() if raw.time() == datetime.time() else raw.isoformat(sep=" ")
    return str(raw).strip()


def parse_text(raw, column: fmt.Column) -> str:
    text = as_text(raw)
    if column.max_length and len(text) > column.max_length:
        raise CellError(
            _("长度不能超过 %(n)d 个字符（当前 %(len)d 个）。") % {"n": column.max_length, "len": len(text)}
        )
    return text


def _validation_message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


_credit_cache: dict[str, str] = {}


def parse_credit_code(raw, column) -> str:
    text = as_text(raw)
    cached = _credit_cache.get(text)
    if cached is not None:
        return cached
    code = normalize_credit_code(text).upper()
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise CellError(_validation_message(exc)) from None
    if len(_credit_cache) < 200_000:
        _credit_cache[text] = code
    return code


def parse_region(raw, column) -> str:
    text = as_text(raw)
    if len(text) > 6:
        text = _region_from_choice(text)
    try:
        validate_region_code(text)
    except ValidationError as exc:
        raise CellError(_validation_message(exc)) from None
    return text


def _region_from_choice(text: str) -> str:
    """The code of a "code name" entry of the template's dropdown (``210200 辽宁省大连市``); the name
    must be the division's (full or own) name, so that a code edited by hand without its name is
    not read as another place."""
    code, _sep, name = text.partition(" ")
    name = name.strip()
    division = regions.get(code) if name else None
    if division is None or name not in (division.label, division.name):
        if name and len(code) == 6 and code.isdigit():
            raise CellError(
                _("地区代码 %(code)s 与名称“%(name)s”不符：请从下拉列表中选择，或只填 6 位代码。")
                % {"code": code, "name": name}
            )
        return text  # not a dropdown entry: the code check below says what is wrong
    return code


def parse_enum(raw, column) -> str:
    value = fmt.enum_map(column.choices).get(as_text(raw).casefold())
    if value is None:
        allowed = "、".join(f"{v}（{label}）" for v, label in fmt.chinese_labels(column.choices).items())
        raise CellError(_("不是允许的取值，应为：%(allowed)s。") % {"allowed": allowed})
    return value


_BOOLS = {"yes": True, "是": True, "no": False, "否": False, "true": True, "false": False}


def parse_bool(raw, column) -> bool:
    if isinstance(raw, bool):
        return raw
    value = _BOOLS.get(as_text(raw).casefold())
    if value is None:
        raise CellError(_("应为 yes/no 或 是/否。"))
    return value


_date_cache: dict[str, datetime.date] = {}


def parse_date(raw, column) -> datetime.date:
    """A date cell; every date of a record lies from 1985-01-01 to today (docs/metrics.md)."""
    value = _parse_date(raw)
    try:
        validate_record_date(value, column.lazy_label if column is not None else None)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from None
    return value


def _parse_date(raw) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        if raw.time() != datetime.time():
            raise CellError(_("日期不能包含时间，应为 YYYY-MM-DD。"))
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = as_text(raw)
    cached = _date_cache.get(text)
    if cached is not None:
        return cached
    if not _DATE_RE.match(text):
        raise CellError(_("日期格式错误：应为 YYYY-MM-DD，例如 2023-06-30。"))
    try:
        value = datetime.date.fromisoformat(text)
    except ValueError:
        raise CellError(_("不是有效的日期（月份或日期超出范围）：应为 YYYY-MM-DD。")) from None
    if len(_date_cache) < 100_000:
        _date_cache[text] = value
    return value


def parse_decimal(raw, column) -> Decimal:
    if isinstance(raw, bool):
        raise CellError(_("金额应为数字。"))
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        text = as_text(raw)
        if text.startswith("-") and _DECIMAL_RE.match(text[1:]):
            raise CellError(_("金额不能为负数。"))
        if not _DECIMAL_RE.match(text):
            raise CellError(
                _(
                    "金额格式错误：应为以元为单位的阿拉伯数字，最多两位小数，不含千位分隔符、单位或汉字，例如 10000.00。"
                )
            )
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
            raise CellError(_("金额应为数字。")) from None
    if value < 0:
        raise CellError(_("金额不能为负数。"))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise CellError(_("金额最多两位小数。"))
    value = value.quantize(Decimal("0.01"))
    if value >= Decimal(10) ** MAX_AMOUNT_DIGITS:
        raise CellError(_("金额过大：整数部分最多 %(n)d 位。") % {"n": MAX_AMOUNT_DIGITS})
    return value


def parse_trl(raw, column) -> int:
    if isinstance(raw, bool):
        raise CellError(_("技术成熟度应为 1 至 9 的整数。"))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        text = as_text(raw)
        if not _INT_RE.match(text):
            raise CellError(_("技术成熟度应为 1 至 9 的整数。"))
        value = int(text)
    if not 1 <= value <= 9:
        raise CellError(_("技术成熟度应为 1 至 9 的整数。"))
    return value


def parse_patent_no(raw, column) -> str:
    # The check character and the type digit are verified per row (they depend on ip_type).
    return normalize_patent_no(as_text(raw))


def parse_cluster(raw, column) -> str:
    # Whether the code is in the managed list is checked per row against the preloaded clusters. The
    # template's dropdown gives "code name" (``A01 高档数控机床``): the code is read.
    text = as_text(raw)
    if " " in text:
        text = text.partition(" ")[0]
    return text.upper()


PARSERS = {
    fmt.TEXT: parse_text,
    fmt.CREDIT_CODE: parse_credit_code,
    fmt.REGION: parse_region,
    fmt.ENUM: parse_enum,
    fmt.BOOL: parse_bool,
    fmt.DATE: parse_date,
    fmt.DECIMAL: parse_decimal,
    fmt.TRL: parse_trl,
    fmt.PATENT_NO: parse_patent_no,
    fmt.CLUSTER: parse_cluster,
}


def display(value) -> str:
    """A raw or stored value as text for error lists and change tables."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
