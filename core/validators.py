"""Validators for the identifier formats of docs/domain.md ("Identifier formats").

Each raises ``ValidationError`` with a message that says what is wrong; callers attach it to the
field. Normalisers return the canonical form stored in the database.
"""

import datetime
import re
import time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc

from core import regions

# GB/T 2260 province-level prefixes (the first two digits of a division code).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
LIAONING_PREFIX = "21"

# Liaoning's 14 prefecture-level cities (docs/domain.md, "Identifier formats").
LIAONING_CITIES = {
    "210100": _("沈阳市"),
    "210200": _("大连市"),
    "210300": _("鞍山市"),
    "210400": _("抚顺市"),
    "210500": _("本溪市"),
    "210600": _("丹东市"),
    "210700": _("锦州市"),
    "210800": _("营口市"),
    "210900": _("阜新市"),
    "211000": _("辽阳市"),
    "211100": _("盘锦市"),
    "211200": _("铁岭市"),
    "211300": _("朝阳市"),
    "211400": _("葫芦岛市"),
}

_REGION_RE = re.compile(r"^\d{6}$")

# "Dates everywhere" (docs/metrics.md): no date of a record lies before this day or after today.
EARLIEST_RECORD_DATE = datetime.date(1985, 1, 1)


_today: tuple[int, datetime.date] = (-1, datetime.date.min)  # (the second it was read, the date)


def record_today() -> datetime.date:
    """Today, the site's local date (``TIME_ZONE``), read at most once per second of the clock: an
    import checks every date cell of a file (hundreds of thousands), and ``timezone.localdate()``
    costs a lookup of the active time zone each time (about 6 % of an import's CPU)."""
    global _today
    second = int(time.time())
    if _today[0] != second:
        _today = (second, timezone.localdate())
    return _today[1]


def validate_record_date(value: datetime.date | None, label=None) -> None:
    """A record's date (registration, grant, withdrawal, signature, ...) lies from 1985-01-01 to today.

    ``label`` (the field's name for people) is put in the message, so that the page, the API and the
    import all say which date is wrong. Today is the site's local date (``TIME_ZONE``).
    """
    if value is None:
        return
    today = record_today()
    if EARLIEST_RECORD_DATE <= value <= today:
        return
    params = {
        "field": label or _("日期"),
        "first": EARLIEST_RECORD_DATE.isoformat(),
        "today": today.isoformat(),
    }
    raise ValidationError(
        _("%(field)s应在%(first)s至今天（%(today)s）之间。"), code="record_date_range", params=params
    )


def city_code(region: str) -> str:
    """The prefecture-level city a division code belongs to: first four digits + ``00``."""
    return region[:4] + "00"


def validate_region_code(value: str) -> None:
    if not _REGION_RE.match(value or ""):
        raise ValidationError(
            _("地区代码“%(value)s”无效：应为6位行政区划代码（GB/T 2260），例如 210200。"),
            code="invalid_region",
            params={"value": value},
        )
    if value[:2] not in PROVINCE_PREFIXES:
        raise ValidationError(
            _("地区代码“%(value)s”无效：前两位不是省级行政区划代码。"),
            code="invalid_region",
            params={"value": value},
        )
    if value.startswith(LIAONING_PREFIX) and value != "210000" and city_code(value) not in LIAONING_CITIES:
        raise ValidationError(
            _("地区代码“%(value)s”无效：不属于辽宁省14个地级市。"),
            code="invalid_region",
            params={"value": value},
        )
    # Other provinces: the prefecture part must be one of the division list (core.regions). Only the
    # prefecture is checked, as county-level codes change more often than the list is released.
    if not value.startswith(LIAONING_PREFIX) and not value.endswith("0000"):
        if regions.known_prefecture(value) is False:
            raise ValidationError(
                _("地区代码“%(value)s”无效：前四位不是现行的地级行政区划（GB/T 2260）。"),
                code="invalid_region",
                params={"value": value},
            )


def normalize_credit_code(value: str) -> str:
    return uscc.compact(value or "")


def validate_credit_code(value: str) -> None:
    """Unified social credit code (GB 32100-2015), check characters verified by python-stdnum."""
    try:
        uscc.validate(value or "")
    except stdnum_exceptions.InvalidLength:
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效：应为18位。"),
            code="invalid_credit_code",
            params={"value": value},
        ) from None
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效：校验码错误。"),
            code="invalid_credit_code",
            params={"value": value},
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效：含有不允许的字符或格式错误。"),
            code="invalid_credit_code",
            params={"value": value},
        ) from None


# Chinese patent application numbers (docs/exchange-format.md): 12 digits since Oct 2003, 8 before, then a check
# character; digits weighted 2,3,4,5,6,7,8,9,2,3,4,5 (or 2..9), summed, modulo 11, 10 written X.
_PATENT_RE = re.compile(r"^(\d{12}|\d{8})([0-9X])$")
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
PATENT_TYPE_DIGITS = {
    "invention_patent": {"1", "8"},
    "utility_model": {"2", "9"},
    "design": {"3"},
}


def patent_check_character(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, _PATENT_WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_patent_no(value: str) -> str:
    """Canonical form ``201310699744.2``: prefixes ZL/CN, spaces and the dot are optional on input."""
    compact = re.sub(r"[\s.]", "", (value or "").upper())
    for prefix in ("ZL", "CN"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
    if _PATENT_RE.match(compact):
        return f"{compact[:-1]}.{compact[-1]}"
    return (value or "").strip()


def validate_patent_no(value: str, ip_type: str | None = None) -> None:
    compact = normalize_patent_no(value).replace(".", "")
    match = _PATENT_RE.match(compact)
    if not match:
        raise ValidationError(
            _("专利号“%(value)s”格式错误：应为12位（2003年以前为8位）数字加1位校验位，例如 201310699744.2。"),
            code="invalid_patent_no",
            params={"value": value},
        )
    digits, check = match.groups()
    if patent_check_character(digits) != check:
        raise ValidationError(
            _("专利号“%(value)s”校验位错误。"), code="invalid_patent_no", params={"value": value}
        )
    if len(digits) == 12 and ip_type in PATENT_TYPE_DIGITS and digits[4] not in PATENT_TYPE_DIGITS[ip_type]:
        raise ValidationError(
            _("专利号“%(value)s”的类型位（第5位）与知识产权类型不符。"),
            code="invalid_patent_no",
            params={"value": value},
        )
