"""The one formula neutraliser of the project, and the CSV / Excel row writers that apply it.

Every CSV or xlsx file the site hands out (registry exports, statistics exports, templates, and
anything added later) writes its rows through ``csv_writer`` or ``append_row``, so no cell that a
spreadsheet program would run as a formula ever leaves the site (CSV / formula injection).

A text is dangerous when, after any leading whitespace (including the ideographic space U+3000 and
zero-width characters), it starts with a formula trigger: ``= + - @``, their full-width and small
forms (``＝ ＋ － ＠``, ``﹦ ﹢ ﹣ ﹫``), the minus sign U+2212, or a tab or carriage return. Such a
text gets a leading ``'``. The escape is exact: a text that already starts with ``'`` followed by a
dangerous text or another ``'`` is prefixed too, so ``unneutralise`` restores every text (the
importer relies on this to read an export back unchanged).

Numbers, dates and booleans are written as they are: only text can carry a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.utils.functional import Promise

FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠﹦﹢﹣﹫−")
# Characters a spreadsheet may skip before reading a formula (besides str.isspace()).
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (ignoring leading whitespace)."""
    for char in text:
        if char in FORMULA_TRIGGERS:
            return True
        if not (char.isspace() or char in _INVISIBLE):
            return False
    return False


def _escaped(text: str) -> bool:
    """Whether ``neutralise`` prefixes ``text``."""
    return looks_like_formula(text) or (text[:1] == "'" and (looks_like_formula(text[1:]) or text[1:2] == "'"))


def neutralise(value):
    """``value`` with a leading ``'`` if a spreadsheet would run it as a formula; non-text unchanged
    (a lazy translation becomes its text)."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value and _escaped(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo ``neutralise``: drop a leading ``'`` that ``neutralise`` would have added."""
    if value[:1] == "'" and _escaped(value[1:]):
        return value[1:]
    return value


def neutralise_row(row: Iterable) -> list:
    return [neutralise(value) for value in row]


class _NeutralisingWriter:
    """``csv.writer`` whose rows are neutralised; ``None`` becomes an empty cell."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable):
        return self._writer.writerow(["" if value is None else value for value in neutralise_row(row)])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **kwargs) -> _NeutralisingWriter:
    """A CSV writer (same arguments as ``csv.writer``) that neutralises every text cell."""
    return _NeutralisingWriter(stream, **kwargs)


def append_row(worksheet, row: Iterable) -> None:
    """``worksheet.append(row)`` with every text cell neutralised (openpyxl stores a text starting
    with ``=`` as a formula)."""
    worksheet.append(neutralise_row(row))
