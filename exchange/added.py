"""The added sheets of an import: the sheets other apps declare (``core.registry.ExchangeSheet``,
e.g. the pilot bases), read from the same file as the registry's sheets and loaded through their
app's ``load`` (the app's services and rights), in the import's transaction.

Exchange stays generic: it reads the registry of sheets and never imports the apps that declare
them. A sheet is found under its name (``pilot_bases``) or its Chinese title (``中试基地``); its
header may use the column keys or the Chinese labels; an unknown column is a problem, like in the
registry's sheets. The sheets are loaded in their declared order inside one savepoint, so a later
sheet sees the rows of an earlier one (the funds of a base added above); the caller rolls back a
preview, and the whole import when any row of any sheet has a problem.

Confirming writes the registry's rows first, so an added row may name a unit that is new in the same
file (a pilot base's operating unit). A preview checks the added sheets the same way: it writes the
file's new units (``ImportResult.new_units``, through the import's own writer) at the start of the
savepoint it rolls back, so the preview accepts what confirming would.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from achievements.policies import UnitRole
from core import registry
from core.spreadsheets import unneutralise

from . import format as fmt
from .cells import display
from .validation import ImportResult, Plan, max_problems, preview_rows
from .writer import write_plan


def _problem(result: ImportResult, sheet: str, row, column: str, value, message) -> None:
    result.problem_count += 1
    if len(result.problems) < max_problems():
        result.problems.append(
            {"sheet": sheet, "row": row, "column": column, "value": display(value), "message": str(message)}
        )


def _records(reader, added, result: ImportResult) -> list[tuple[int, dict]] | None:
    """The sheet's non-empty rows as (row number, {column key: value}); None after a header problem."""
    rows = iter(reader.rows(added.name))
    first = next(rows, None)
    if first is None:
        return []
    mapping = fmt.added_header_map(added)
    keys = []
    bad = False
    for cell in first[1]:
        text = "" if cell is None else unneutralise(str(cell)).strip()
        key = mapping.get(text.casefold()) if text else None
        if text and key is None:
            bad = True
            _problem(result, added.name, first[0], text, text, _("未知的列，请使用模板中的表头。"))
        keys.append(key)
    if bad:
        return None
    records = []
    for number, raw in rows:
        record = {}
        for key, cell in zip(keys, raw, strict=False):
            if key is None or cell is None:
                continue
            if isinstance(cell, str):
                cell = unneutralise(cell).strip()
                if not cell:
                    continue
            record[key] = cell
        if record:
            result.rows += 1
            records.append((number, record))
    return records


def load_added_sheets(reader, result: ImportResult, *, acting_user, unit) -> None:
    """Check and write the file's added sheets into ``result`` (counts, changes, problems), inside a
    savepoint that the caller's transaction keeps or rolls back. The rights are the acting user's; a
    unit-restricted import without a user (the command's ``--unit``) has a user of that unit's."""
    actor = acting_user
    if actor is None and unit is not None:
        actor = UnitRole(unit.pk)
    for added in registry.exchange_sheets():
        if not reader.has_sheet(added.name):
            continue
        records = _records(reader, added, result)
        if not records:
            continue
        outcome = added.load(records, actor, dry_run=False)
        result.counts[added.name] = dict(outcome.counts)
        for p in outcome.problems:
            _problem(result, added.name, p["row"], p["column"], p.get("value", ""), p["message"])
        for change in outcome.changes[: preview_rows()]:
            result.changes.append({"sheet": added.name, "fields": [], **change})


def added_sheets_in_transaction(
    reader, result: ImportResult, *, acting_user, unit, keep: bool, new_units=()
) -> None:
    """Load the added sheets in a savepoint: kept when ``keep`` and every row is valid, else rolled
    back (a preview, or a file with a problem). A preview passes the file's ``new_units``: they are
    written first, in the savepoint, as confirming writes them before the added sheets."""
    if keep and new_units:
        raise ValueError("new_units are for a preview: a confirmed import has written them already")
    with transaction.atomic():
        if new_units:
            write_plan(Plan(units_create=list(new_units)), acting_user=acting_user, reason=_("导入"))
        load_added_sheets(reader, result, acting_user=acting_user, unit=unit)
        if not keep or result.problem_count:
            transaction.set_rollback(True)
