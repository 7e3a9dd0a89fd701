"""How an import's counts, changes and problems are shown: sheets and columns in the user's language.

A job stores what the validator found in the format's own terms: a problem's sheet is the format's
sheet name (``achievements``), its column the header as the file wrote it (or the column's key), a
change's fields carry the column's Chinese header. The page, the command and any other reader show
them through these functions, in the language active when they are shown: in Chinese the sheets'
titles (单位 / 科技成果 / 转化合同) and the Chinese headers, in English the format's sheet names and
column keys (``units``, ``unit_code``). Enumerated values of a change are shown by their label.
"""

from __future__ import annotations

from . import format as fmt

SHEET_ORDER = (*(s.name for s in fmt.SHEETS), "transferees")


def sheet_label(name: str) -> str:
    return fmt.sheet_label(name) if name else ""


def column_label(sheet_name: str, header: str) -> str:
    return fmt.column_label(sheet_name, header)


def _column(sheet_name: str, header: str) -> fmt.Column | None:
    sheet = fmt.SHEETS_BY_NAME.get(sheet_name if sheet_name != "transferees" else "transformations")
    if sheet is None:
        return None
    key = fmt.header_map(sheet.name).get(str(header).strip().casefold())
    return sheet.columns[sheet.index[key]] if key else None


def _value(column: fmt.Column | None, value: str) -> str:
    """An enumerated value by its label in the user's language (``active`` → 有效 / active)."""
    if column is None or column.kind != fmt.ENUM or not value:
        return value
    if fmt.english_ui():
        return value
    return fmt.chinese_labels(column.choices).get(value, value)


def problem_rows(problems) -> list[dict]:
    """The stored problems with ``sheet_label`` and ``column_label`` added."""
    return [
        {
            **p,
            "sheet_label": sheet_label(p.get("sheet") or ""),
            "column_label": column_label(p.get("sheet") or "", p.get("column") or ""),
        }
        for p in problems
    ]


def change_rows(changes) -> list[dict]:
    """The stored sample of changes with the sheet's label, the record's name (a unit's name, an
    achievement's title, a contract's ref with its achievement's title and its transferee, a
    transferee's name) and the changed fields as (column, old, new) in the user's language."""
    rows = []
    for change in changes:
        sheet = change.get("sheet", "")
        fields = []
        for label, old, new in change.get("fields", []):
            column = _column(sheet, label)
            shown = column_label(sheet if sheet != "transferees" else "transformations", label)
            fields.append((shown, _value(column, old), _value(column, new)))
        rows.append(
            {**change, "sheet_label": sheet_label(sheet), "name": record_name(change), "fields": fields}
        )
    return rows


def record_name(change: dict) -> str:
    """What a change is about, for people: never only the key."""
    sheet = change.get("sheet")
    key = change.get("key", "")
    if sheet == "transformations":
        ref = key.split(" / ")[-1]
        parts = [ref]
        if change.get("achievement_title"):
            parts.append(change["achievement_title"])
        elif change.get("achievement"):
            parts.append(change["achievement"][1])
        if change.get("transferee"):
            parts.append(change["transferee"])
        return " · ".join(parts)
    return change.get("title") or key


def count_rows(counts: dict) -> list[dict]:
    """The counts per sheet: the registry's sheets, the transferees, then the added sheets."""
    order = (*SHEET_ORDER, *fmt.added_sheets())
    return [{"sheet": name, "title": sheet_label(name), **counts[name]} for name in order if name in counts]


def example_rows(examples) -> list[dict]:
    return [{**e, "sheet_label": sheet_label(e["sheet"])} for e in examples]
