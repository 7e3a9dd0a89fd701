"""The one way numbers are shown (docs/numbers.md): counts, money, percentages, changes of rates.

Every page, table, tile, chart, notification and export summary formats its figures here (the
templates through ``core/templatetags/numbers.py``; the charts through ``static/js/numbers.js``,
which gets its unit words from :func:`chart_unit`). The conventions:

- counts: whole numbers with thousands separators, ``45,130`` (in both languages: Django's Chinese
  locale format has no separator, so ``intcomma``/``floatformat`` are not used);
- money: 元 with two decimals where contracts are listed one by one (:func:`yuan`); 万元 in the
  dashboard's tables (:func:`wan`, the column header names the unit); in tiles, totals and charts
  万元 below 1 亿元 and 亿元 at or above (:func:`money`, :func:`money_unit`), always with the unit;
- percentages with one decimal (:func:`percent`), year-on-year changes signed (:func:`growth`),
  a change of a rate in percentage points, 个百分点 (:func:`points`);
- a missing figure (``None`` or ``""``) is ``—``; rounding is half away from zero on the decimal
  value (``Decimal``), never on a binary float.

The unit words are the conventions of each language, kept here rather than in the translation
catalogue so that both languages are fixed by tests (``tests/test_numbers.py``): English reads
``62,313.80 × 10,000 yuan``, ``6.23 × 100 million yuan``, ``+1.2 percentage points``, ``1 contract``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import get_language

DASH = "—"
WAN = Decimal(10_000)
YI = Decimal(100_000_000)

# Units of money: the divisor, and the unit written as a caption (table header, chart axis) and
# after a number, in each language.
MONEY_UNITS = ("yuan", "wan", "yi")
_DIVISORS = {"yuan": Decimal(1), "wan": WAN, "yi": YI}


@dataclass(frozen=True)
class Words:
    caption: dict  # unit -> its name alone: "万元" / "10,000 yuan"
    after: dict  # unit -> written after a number: "{value} 万元" / "{value} × 10,000 yuan"
    points: str  # "{value} 个百分点"
    nouns: dict  # noun key -> (singular, plural)


WORDS = {
    "zh": Words(
        caption={"yuan": "元", "wan": "万元", "yi": "亿元", "percent": "%"},
        after={"yuan": "{value} 元", "wan": "{value} 万元", "yi": "{value} 亿元", "percent": "{value}%"},
        points="{value} 个百分点",
        nouns={
            "item": ("项", "项"),
            "achievement": ("项", "项"),
            "contract": ("份", "份"),
            "record": ("条", "条"),
            "unit": ("家", "家"),
            "problem": ("个", "个"),
            "notification": ("条", "条"),
        },
    ),
    "en": Words(
        caption={"yuan": "yuan", "wan": "10,000 yuan", "yi": "100 million yuan", "percent": "%"},
        after={
            "yuan": "{value} yuan",
            "wan": "{value} × 10,000 yuan",
            "yi": "{value} × 100 million yuan",
            "percent": "{value}%",
        },
        points="{value} percentage points",
        nouns={
            "item": ("item", "items"),
            "achievement": ("achievement", "achievements"),
            "contract": ("contract", "contracts"),
            "record": ("record", "records"),
            "unit": ("unit", "units"),
            "problem": ("problem", "problems"),
            "notification": ("notification", "notifications"),
        },
    ),
}


def words(language: str | None = None) -> Words:
    """The unit words of ``language`` (default: the active one); every language but English reads
    Chinese, the site's default."""
    language = (language or get_language() or "zh-hans").lower()
    return WORDS["en" if language.startswith("en") else "zh"]


# ---------------------------------------------------------------- numbers


def to_decimal(value) -> Decimal | None:
    """``value`` as a Decimal (ints, floats through their shortest text, strings); ``None`` for a
    missing figure (``None``, ``""``)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def rounded(value, places: int = 2) -> Decimal | None:
    """Rounded half away from zero to ``places`` decimals (``None`` stays ``None``)."""
    number = to_decimal(value)
    if number is None:
        return None
    result = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return result + 0 if result == 0 else result  # no "-0.00"


def number(value, places: int = 0) -> str:
    """Grouped by thousands with ``places`` decimals: ``1,234,567.80``; ``—`` when missing."""
    amount = rounded(value, places)
    if amount is None:
        return DASH
    return f"{amount:,.{places}f}"


def count(value) -> str:
    """A count: ``45,130`` (``—`` when missing)."""
    return number(value, 0)


def count_noun(n, noun: str, language: str | None = None) -> str:
    """The noun that goes with ``n`` things (plural in English unless n is 1): ``contract`` /
    ``contracts``; ``份``. ``noun`` is a key of ``Words.nouns``."""
    singular, plural = words(language).nouns[noun]
    return singular if to_decimal(n) == 1 else plural


def counted(n, noun: str, language: str | None = None) -> str:
    """A count with its noun: ``1 contract``, ``45,130 contracts``; ``45,130 份``."""
    return f"{count(n)} {count_noun(n, noun, language)}"


# ---------------------------------------------------------------- money


def in_unit(value, unit: str) -> Decimal | None:
    """An amount in yuan expressed in ``unit`` (``yuan``, ``wan``, ``yi``), rounded to 2 places."""
    amount = to_decimal(value)
    if amount is None:
        return None
    return rounded(amount / _DIVISORS[unit], 2)


def yuan(value) -> str:
    """元 with two decimals: ``1,234,567.80`` (tables and pages that show contracts one by one)."""
    return number(value, 2)


def wan(value) -> str:
    """万元 with two decimals: ``123.46`` (the dashboard's tables, whose header names the unit)."""
    return number(in_unit(value, "wan"), 2)


def yi(value) -> str:
    """亿元 with two decimals: ``6.23``."""
    return number(in_unit(value, "yi"), 2)


def money_unit(value) -> str:
    """The unit an amount in yuan is shown in on tiles, totals and charts: ``yi`` at or above
    1 亿元, ``wan`` below (the test is on the amount as rounded to 万元, so 9,999.995 万元 and more
    read ``1.00 亿元``, never ``10,000.00 万元``)."""
    amount = to_decimal(value)
    if amount is None:
        return "wan"
    return "yi" if abs(rounded(amount / WAN, 2)) >= WAN else "wan"


def unit_caption(unit: str, language: str | None = None) -> str:
    """The unit's name alone (a column header's or axis's unit): ``万元`` / ``10,000 yuan``."""
    return words(language).caption[unit]


def with_unit(text: str, unit: str, language: str | None = None) -> str:
    """``text`` (a formatted number) followed by the unit: ``62,313.80 万元``."""
    return words(language).after[unit].format(value=text)


def unit_suffix(unit: str, language: str | None = None) -> str:
    """What follows a number for ``unit`` on a tile: ``万元`` / ``× 10,000 yuan``."""
    return words(language).after[unit].replace("{value}", "").strip()


def money_parts(value, unit: str | None = None, language: str | None = None) -> tuple[str, str]:
    """(number, unit suffix) of an amount in yuan, for a tile that styles them apart:
    ``("62,313.80", "万元")``; ``("6.23", "亿元")``; ``("—", "")`` when missing."""
    if to_decimal(value) is None:
        return DASH, ""
    unit = unit or money_unit(value)
    return number(in_unit(value, unit), 2), unit_suffix(unit, language)


def money(value, unit: str | None = None, language: str | None = None) -> str:
    """An amount in yuan with its unit: ``62,313.80 万元`` below 1 亿元, ``6.23 亿元`` at or
    above (``unit`` forces one: ``yuan``, ``wan``, ``yi``); ``—`` when missing."""
    if to_decimal(value) is None:
        return DASH
    unit = unit or money_unit(value)
    return with_unit(number(in_unit(value, unit), 2), unit, language)


# ---------------------------------------------------------------- rates


def percent(ratio) -> str:
    """A rate given as a ratio, in percent with one decimal: ``0.3123`` → ``31.2%``."""
    value = to_decimal(ratio)
    return DASH if value is None else f"{number(value * 100, 1)}%"


def _signed(value: Decimal, places: int) -> str:
    text = number(value, places)
    return f"+{text}" if rounded(value, places) > 0 else text


def growth(ratio) -> str:
    """A relative change given as a ratio, signed, in percent with one decimal: ``+12.3%``."""
    value = to_decimal(ratio)
    return DASH if value is None else f"{_signed(value * 100, 1)}%"


def points(delta, language: str | None = None) -> str:
    """A change of a rate (the difference of two ratios) in percentage points, signed, one
    decimal: ``0.012`` → ``+1.2 个百分点`` / ``+1.2 percentage points``."""
    value = to_decimal(delta)
    if value is None:
        return DASH
    return words(language).points.format(value=_signed(value * 100, 1))


def sign(value) -> str:
    """``up``, ``down`` or ``flat`` for the arrow next to a change (``flat`` when missing or when
    it rounds to zero at one decimal of a percent)."""
    number_ = to_decimal(value)
    if number_ is None:
        return "flat"
    shown = rounded(number_ * 100, 1)
    return "up" if shown > 0 else "down" if shown < 0 else "flat"


# ---------------------------------------------------------------- charts


def chart_unit(unit: str, noun: str = "item", language: str | None = None) -> dict:
    """What ``static/js/numbers.js`` needs to write a chart's values in ``unit`` (``count``,
    ``yuan``, ``wan``, ``yi``, ``percent``): the caption for the axis, the pattern of a value with
    its unit (``one``: the pattern for exactly 1, a count's singular), and the decimals. A count's
    caption and words are those of ``noun``."""
    w = words(language)
    if unit == "count":
        singular, plural = w.nouns[noun]
        return {
            "unit": unit,
            "caption": plural,
            "pattern": "{value} " + plural,
            "one": "{value} " + singular,
            "decimals": 0,
        }
    pattern = w.after[unit]
    return {
        "unit": unit,
        "caption": w.caption[unit],
        "pattern": pattern,
        "one": pattern,
        "decimals": 1 if unit == "percent" else 2,
    }


def chart_money_unit(values) -> str:
    """The one unit of a chart's amounts (yuan): 亿元 when the largest is at or above 1 亿元."""
    amounts = [abs(v) for v in (to_decimal(v) for v in values) if v is not None]
    return money_unit(max(amounts)) if amounts else "wan"
