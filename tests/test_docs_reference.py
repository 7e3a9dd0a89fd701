"""The reference pages in docs/ say what the code does: the exchange format's columns and
enumerations in docs/exchange-format.md are those declared in ``exchange.format``."""

import re
from pathlib import Path

import pytest

from exchange.format import SHEETS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _sheet_tables(text: str) -> dict[str, list[list[str]]]:
    """Rows of the table under each "## Sheet `name`" heading, split into cells."""
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## Sheet `(\w+)`", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
        elif line.startswith("## "):
            current = None
        elif current is not None and line.startswith("| `"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return tables


@pytest.fixture(scope="module")
def documented():
    return _sheet_tables((DOCS / "exchange-format.md").read_text(encoding="utf-8"))


def test_the_format_reference_documents_every_sheet(documented):
    assert sorted(documented) == sorted(sheet.name for sheet in SHEETS)


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_format_reference_lists_each_column_with_its_label_and_requirement(documented, sheet):
    rows = documented[sheet.name]
    assert [row[0].strip("`") for row in rows] == sheet.keys
    for row, column in zip(rows, sheet.columns, strict=True):
        assert row[1] == column.label, column.key
        if column.required:
            assert row[2] == "yes", column.key
        else:
            assert row[2] != "yes", column.key


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_format_reference_lists_every_enumeration_value(documented, sheet):
    rows = {row[0].strip("`"): row for row in documented[sheet.name]}
    for column in sheet.columns:
        if column.choices is None:
            continue
        described = rows[column.key][3]
        for value, label in column.choices.choices:
            assert f"`{value}` {label}" in described, (sheet.name, column.key, value)
