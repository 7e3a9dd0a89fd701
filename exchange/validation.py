"""Validation and diff of an exchange file against the registry (docs/exchange-format.md, import rules).

``validate(reader, ...)`` reads every row, checks each cell, then the rules across rows and against
the database, and returns an ``ImportResult``: every problem as (sheet, row, column, value,
message), the counts of rows to add / update / leave unchanged per sheet, a sample of the changes
for the preview, and the ``Plan`` that ``exchange.writer`` applies.

Memory is bounded by the keys, not the rows: each sheet is read as a stream, its valid rows are
compared with the database in chunks of ``DIFF_CHUNK``, and only every row's key (for duplicates
and references) and the differences are kept; a preview (``keep_plan=False``) keeps no rows at all.

Database lookups are bulk: the records matching the keys found in the file are loaded in chunks
(``IN`` queries; on PostgreSQL each key probed in the unique index first), so the number of
queries grows with the file size divided by the chunk size, never with the number of rows.

The rules are the registry's own: each cell is parsed by ``exchange.cells`` with the validators of
``core.validators`` that the model fields use, the rules across a record's fields are the model's
(``achievement_rule_errors`` / ``transformation_rule_errors``, which ``clean()`` asks too), and the
rights are ``achievements.policies``'. An error keyed by a model field is reported on the column that
fills that field (``exchange.format`` declares it). Every problem of the file is listed in one pass:
a sheet with a header problem is still read with the columns that were recognised, and a row with
a bad cell, a duplicate key or another unit's code is still checked (cells, rules and references).

A confirmed import is one pass too (``sink``): each chunk is written as soon as it is checked, while
the file holds no problem so far, and the import's transaction undoes the chunks written when a
later row has one (``exchange.services.registry_import``). The checks of a row see the registry as
the file's earlier rows left it, and where that could change a check, it is given the registry as it
was: each key appears once, the contracts find the file's achievements by the ids written, the
duplicate-patent rule sees the records the import created as the file's rows and those it updated
as they were (``exchange.duplicates``), and a unit's right to correct a transferee counts the
contracts the file moves away from it (``left_transferees``). The problems, counts and warnings
are the preview's.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from achievements import policies
from achievements.models import (
    Achievement,
    Cluster,
    Transferee,
    Transformation,
    Unit,
    achievement_rule_errors,
    transformation_rule_errors,
)

from . import format as fmt
from .cells import PARSERS, CellError, as_text, display
from .duplicates import PatentCheck
from .readers import FileProblem, Reader

LOOKUP_CHUNK = 900  # keys per IN query (stays below SQLite's parameter limits)
DIFF_CHUNK = 2000  # valid rows compared with the database at a time
PROGRESS_STEP = 2000  # rows between progress reports

U = fmt.UNITS.index
A = fmt.ACHIEVEMENTS.index
T = fmt.TRANSFORMATIONS.index


def max_problems() -> int:
    """Problems listed in an import's result (the count is always complete); also the added
    sheets' (``exchange.added``)."""
    return getattr(settings, "IMPORT_MAX_ERRORS", 5000)


def preview_rows() -> int:
    """Changes sampled per sheet for the preview; also the added sheets' (``exchange.added``)."""
    return getattr(settings, "IMPORT_PREVIEW_ROWS", 200)


@dataclass
class Plan:
    """What a valid file changes. Rows are tuples in the sheet's column order."""

    unit_ids: dict[str, int] = field(default_factory=dict)  # the registry's units by code (and those written)
    achievement_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # existing, by key
    transferee_ids: dict[str, int] = field(default_factory=dict)
    cluster_ids: dict[str, int] = field(default_factory=dict)
    units_create: list[tuple] = field(default_factory=list)
    units_update: list[tuple[int, tuple]] = field(default_factory=list)
    achievements_create: list[tuple] = field(default_factory=list)
    achievements_update: list[tuple[int, tuple]] = field(default_factory=list)
    transformations_create: list[tuple] = field(default_factory=list)
    transformations_update: list[tuple[int, tuple]] = field(default_factory=list)
    transferees_create: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, region)
    transferees_update: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    years: set[int] = field(default_factory=set)
    unit_scope_changed: bool = False  # a unit's type or region changed: every year is affected
    moved_transferees: set[int] = field(default_factory=set)  # region changed: local rates change
    touched_units: set[str] = field(default_factory=set)

    @property
    def write_count(self) -> int:
        return (
            len(self.units_create)
            + len(self.units_update)
            + len(self.achievements_create)
            + len(self.achievements_update)
            + len(self.transformations_create)
            + len(self.transformations_update)
            + len(self.transferees_create)
            + len(self.transferees_update)
        )


@dataclass
class ImportResult:
    problems: list[dict] = field(default_factory=list)
    problem_count: int = 0
    rows: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    plan: Plan | None = None
    file_problem: str = ""  # the file as a whole cannot be read (corrupt, lying, encrypted, encoding)
    examples: list[dict] = field(default_factory=list)  # the template's example rows ignored: sheet, row
    # Accepted but worth a look (exchange.duplicates: a patent number other units hold): sheet, row,
    # key, message; ``warning_count`` counts them all, the list keeps the first few.
    warnings: list[dict] = field(default_factory=list)
    warning_count: int = 0
    # The sheets other apps add (``core.registry.ExchangeSheet``) that the file holds: read in a
    # second opening of the file, which a file without them is spared.
    added_sheets: tuple[str, ...] = ()
    # The valid unit rows the file adds (the units sheet is small): a preview writes them in the
    # added sheets' rolled-back savepoint, as confirming writes them before the added sheets, so a
    # pilot base may name a unit new in the same file (``exchange.added``).
    new_units: list[tuple] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.problem_count == 0

    @property
    def change_count(self) -> int:
        return sum(c["add"] + c["update"] for c in self.counts.values())


def _compact(unit_code: str, ref: str) -> str:
    """One string for a (unit code, ref) key: about half the memory of a tuple, kept for every row."""
    return f"{unit_code}\x1f{ref}"


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ids_of_keys(model, keys: list[tuple[int, str]]) -> list[int]:
    """PostgreSQL: the ids of ``model``'s records with these (unit_id, ref) keys, each key a probe
    of the unique index whatever the statistics say (a ``LATERAL`` subquery with ``LIMIT`` is
    planned per key, never as one scan of the table)."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        "SELECT r.id FROM unnest(%s::bigint[], %s::text[]) AS k(unit_id, ref) "
        f"CROSS JOIN LATERAL (SELECT id FROM {table} WHERE unit_id = k.unit_id AND ref = k.ref LIMIT 1) AS r"  # noqa: S608 (a table name)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[u for u, _r in keys], [r for _u, r in keys]])
        return [row[0] for row in cursor.fetchall()]


class Validator:
    def __init__(
        self,
        reader: Reader | None,
        *,
        unit: Unit | None = None,
        lock: bool = False,
        progress=None,
        keep_plan: bool = True,
        sink: Callable[[Plan], None] | None = None,
    ):
        self.reader = reader
        self.keep_plan = keep_plan  # False for a preview: count and sample the changes, keep no rows
        # A confirmed import (in its transaction, ``lock``): each chunk's part of the plan goes to
        # ``sink`` (the writer) as soon as it is checked, while the file has no problem so far,
        # and is dropped.
        self.sink = sink
        self.unit = unit  # a unit user's import: only this unit's rows are allowed
        # Whose rights the rows are checked against (achievements.policies): a unit-restricted import
        # has a unit user's rights, whoever runs it; an unrestricted one is the department's.
        self.actor = policies.UnitRole(unit.pk) if unit is not None else None
        self.lock = lock
        self.progress: Callable[[float], None] | None = progress
        self.result = ImportResult()
        self.plan = Plan()
        self.headers: dict[str, list[str]] = {}  # sheet -> the header text per column key index
        self.estimate = 0
        self.read = 0
        self.change_samples: dict[str, int] = defaultdict(int)
        self.file_units: dict[str, tuple[int, tuple | None]] = {}  # code -> (row number, values)
        self.achievement_rows: dict[str, int] = {}  # compact key -> row number (< 0: row invalid)
        self.contract_rows: dict[str, int] = {}
        self.transferee_rows: dict[str, tuple[int, str, str]] = {}  # code -> (row number, name, region)
        self.db_units: dict[str, tuple] = {}
        self.code_of_unit: dict[int, str] = {}
        self.units_looked_up: set[str] = set()
        self.added: set = set()  # the keys of the chunk's rows to add
        self.merged: set[int] = set()  # the chunk's achievements merged into another
        self.written_ids: dict[str, int] = {}  # confirmed import: compact key -> id of an achievement
        self.patents = PatentCheck(detailed=unit is None)  # the duplicate-patent rule (one module)
        # The credit codes of the transferees that the file's contract updates move away from: for
        # a unit's import, those contracts count as the unit's use of their old transferee even
        # after an earlier chunk has rewritten them (the preview's view, before the import).
        self.left_transferees: set[str] = set()

    # --- problems -------------------------------------------------------------------------------

    def problem(self, sheet: str, row: int | None, column: str, value, message: str) -> None:
        self.result.problem_count += 1
        if len(self.result.problems) < max_problems():
            self.result.problems.append(
                {
                    "sheet": sheet,
                    "row": row,
                    "column": column,
                    "value": display(value),
                    "message": str(message),
                }
            )

    def column_header(self, sheet: fmt.Sheet, key: str) -> str:
        headers = self.headers.get(sheet.name)
        if headers and headers[sheet.index[key]]:
            return headers[sheet.index[key]]
        return key

    def field_problems(self, sheet: fmt.Sheet, row_no: int, v, errors: dict) -> bool:
        """Report a model's errors ({field: message(s)}, from its rules or ``achievements.policies``)
        on the columns that fill those fields; True when there was any."""
        for name, messages in errors.items():
            column = sheet.column_of_field(name)
            key = column.key if column is not None else sheet.key[-1]
            if not isinstance(messages, (list, tuple)):
                messages = [messages]
            message = " ".join(str(m) for m in messages)
            self.problem(sheet.name, row_no, self.column_header(sheet, key), v[sheet.index[key]], message)
        return bool(errors)

    # --- reading --------------------------------------------------------------------------------

    def _report(self) -> None:
        if self.progress and self.estimate:
            self.progress(min(self.read / self.estimate, 1.0))

    def read_sheet(self, sheet: fmt.Sheet) -> Iterable[tuple[int, list]]:
        """Yield (row number, parsed values, all cells fine) for every non-empty row. A row with a
        problem is still yielded (its key takes part in the duplicate and reference checks)."""
        if not self.reader.has_sheet(sheet.name):
            self.problem(
                sheet.name,
                None,
                "",
                "",
                _("缺少工作表“%(title)s”（或“%(name)s”，CSV 文件为 %(name)s.csv）。")
                % {"title": sheet.title, "name": sheet.name},
            )
            return
        rows = iter(self.reader.rows(sheet.name))
        first = next(rows, None)
        if first is None:
            return
        header = first[1]
        # A header problem is listed and the rows are still read with the columns recognised, so the
        # report holds every problem of the file (a missing column is one problem, not one a row).
        mapping = self._map_header(sheet, header, first[0])
        present = {col_idx for _src, col_idx, _column, _parser in mapping}
        required = [i for i, c in enumerate(sheet.columns) if c.required and i in present]
        width = len(sheet.columns)
        name = sheet.name
        headers = self.headers[name]
        # The column of the example marker (the sheet's first column: a unit's code, a ref).
        marker = next((src for src, col_idx, _c, _p in mapping if col_idx == 0), -1)
        for row_no, raw in rows:
            self.read += 1
            if self.read % PROGRESS_STEP == 0:
                self._report()
            if 0 <= marker < len(raw):
                first = raw[marker]  # (inlined test: this runs for every row)
                if first.__class__ is str and "【" in first and fmt.is_example_mark(first):
                    self._example_row(sheet, row_no, raw, mapping, marker)
                    continue
            values = [None] * width
            filled = [False] * width
            ok = True
            length = len(raw)
            for src, col_idx, column, parser in mapping:
                if src >= length:
                    continue
                cell = raw[src]
                if cell is None:
                    continue
                if cell.__class__ is str:
                    cell = cell.strip()
                    if not cell:
                        continue
                filled[col_idx] = True
                try:
                    values[col_idx] = parser(cell, column)
                except CellError as exc:
                    ok = False
                    self.problem(name, row_no, headers[col_idx], cell, exc.message)
            if not any(filled):
                continue
            self.result.rows += 1
            for col_idx in required:
                if not filled[col_idx]:
                    ok = False
                    self.problem(name, row_no, headers[col_idx], "", _("必填项不能为空。"))
            yield row_no, values, ok

    def _example_row(self, sheet: fmt.Sheet, row_no: int, raw: tuple, mapping, marker: int) -> None:
        """A row marked as the template's example: ignored when every column read equals the
        example (listed in ``result.examples``), else a problem: real data typed over the example
        must not be dropped silently, and the marker must not become a key."""
        example = fmt.EXAMPLES[sheet.name]
        same = True
        for src, col_idx, column, parser in mapping:
            cell = raw[src] if src < len(raw) else None
            if cell.__class__ is str:
                cell = cell.strip() or None
            if col_idx == 0:
                value = None if cell is None else as_text(cell)
            else:
                try:
                    value = None if cell is None else parser(cell, column)
                except CellError:
                    value = cell
            if value != example[col_idx]:
                same = False
                break
        if same:
            self.result.examples.append({"sheet": sheet.name, "row": row_no})
            return
        key = sheet.columns[0]
        self.problem(
            sheet.name,
            row_no,
            self.column_header(sheet, key.key),
            raw[marker],
            _(
                "这是模板的示例行（“%(column)s”以“%(mark)s”开头），但内容已被修改：如为真实数据，请把“%(column)s”改为真实的编号（去掉“%(mark)s”）；否则请删除此行。"
            )
            % {"column": fmt.column_label(sheet.name, key.key), "mark": fmt.EXAMPLE_MARK},
        )

    def _map_header(self, sheet: fmt.Sheet, header: tuple, header_row: int = 1):
        known = fmt.header_map(sheet.name)
        mapping = []
        seen: dict[str, int] = {}
        headers = [""] * len(sheet.columns)
        for src, cell in enumerate(header):
            if cell is None or not str(cell).strip():
                continue
            text = str(cell).strip()
            key = known.get(text.casefold())
            if key is None:
                self.problem(
                    sheet.name,
                    header_row,
                    text,
                    text,
                    _("未知的列“%(header)s”：请使用模板中的英文键名或中文表头。") % {"header": text},
                )
                continue
            if key in seen:
                self.problem(
                    sheet.name,
                    header_row,
                    text,
                    text,
                    _("列重复：与第 %(n)d 列相同。") % {"n": seen[key] + 1},
                )
                continue
            seen[key] = src
            col_idx = sheet.index[key]
            column = sheet.columns[col_idx]
            headers[col_idx] = text
            mapping.append((src, col_idx, column, PARSERS[column.kind]))
        for column in sheet.columns:
            if column.required and column.key not in seen:
                self.problem(
                    sheet.name,
                    header_row,
                    column.key,
                    "",
                    _("缺少必填列“%(key)s”（%(label)s）。")
                    % {"key": column.key, "label": column.display_label()},
                )
        self.headers[sheet.name] = [h or c.key for h, c in zip(headers, sheet.columns, strict=True)]
        return mapping

    def _restricted(self, sheet: fmt.Sheet, row_no: int, column: str, code: str) -> bool:
        if self.unit is not None and code != self.unit.code:
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, column),
                code,
                _("无权导入其他单位的数据：只能导入本单位（%(code)s）的记录。") % {"code": self.unit.code},
            )
            return True
        return False

    def _duplicate(self, sheet: fmt.Sheet, row_no: int, first_row: int, key) -> None:
        self.problem(
            sheet.name,
            row_no,
            self.column_header(sheet, sheet.key[-1]),
            key[-1] if isinstance(key, tuple) else key,
            _("文件中重复：与第 %(row)d 行的键（%(key)s）相同。")
            % {"row": first_row, "key": " / ".join(key) if isinstance(key, tuple) else key},
        )

    # --- per-row rules (the model's, see achievements.models) -------------------------------------

    def check_achievement(self, row_no: int, v: list) -> bool:
        if v[A["patent_no"]] is None:
            v[A["patent_no"]] = ""
        errors = achievement_rule_errors(
            ip_type=v[A["ip_type"]],
            patent_no=v[A["patent_no"]],
            status=v[A["status"]],
            registered_on=v[A["registered_on"]],
            withdrawn_on=v[A["withdrawn_on"]],
            ip_granted_on=v[A["ip_granted_on"]],
        )
        cluster = v[A["cluster"]]
        if cluster is not None and cluster not in self.plan.cluster_ids:
            errors["cluster"] = _("产业集群代码不在库中的产业集群清单中。")
        return not self.field_problems(fmt.ACHIEVEMENTS, row_no, v, errors)

    def check_transformation(self, row_no: int, v: list) -> bool:
        errors = transformation_rule_errors(amount=v[T["amount"]], received=v[T["received"]])
        return not self.field_problems(fmt.TRANSFORMATIONS, row_no, v, errors)

    # --- the whole file -------------------------------------------------------------------------

    def run(self) -> ImportResult:
        try:
            self._run()
        except FileProblem as exc:
            self.problem(exc.sheet, None, "", "", exc.message)
            self.result.file_problem = exc.message
        if self.result.problem_count:
            self.result.plan = None
        if self.progress:
            self.progress(1.0)
        return self.result

    def _run(self) -> None:
        self.estimate = self.reader.estimate_rows() if self.reader is not None else 0
        self.plan.cluster_ids = dict(Cluster.objects.values_list("code", "id"))
        counts = self.result.counts
        for sheet in fmt.SHEETS:
            counts[sheet.name] = {"add": 0, "update": 0, "unchanged": 0}
        counts["transferees"] = {"add": 0, "update": 0, "unchanged": 0}

        self._units()
        self._flush()
        self._stream(fmt.ACHIEVEMENTS, self.check_achievement, self.achievement_rows, self._diff_achievements)
        self._stream(
            fmt.TRANSFORMATIONS, self.check_transformation, self.contract_rows, self._diff_transformations
        )
        self._report()

    def _flush(self) -> None:
        """Confirmed import: hand the rows diffed so far to the sink (once a problem is found,
        nothing more is written: the transaction undoes what was) and let them go."""
        if self.sink is None:
            return
        plan = self.plan
        if not self.result.problem_count:
            created = [(v[A["unit_code"]], v[A["ref"]]) for v in plan.achievements_create]
            self.sink(plan)
            for code, pk in plan.unit_ids.items():
                self.code_of_unit[pk] = code  # units created by the sink
            # The records this import creates are not holders for the duplicate-patent rule: their
            # rows are compared as the file's rows.
            self.patents.written.update(plan.achievement_ids[key] for key in created)
            # The ids of the achievements written or found so far (one compact key each): the
            # contracts that name them need no query.
            self.written_ids.update((_compact(*key), pk) for key, pk in plan.achievement_ids.items())
        plan.units_create, plan.units_update = [], []
        plan.achievements_create, plan.achievements_update = [], []
        plan.transformations_create, plan.transformations_update = [], []
        plan.transferees_create, plan.transferees_update = {}, {}
        plan.achievement_ids = {}

    def _stream(self, sheet: fmt.Sheet, check, seen: dict[str, int], diff) -> None:
        """Read a keyed sheet as a stream and diff its rows in chunks of ``DIFF_CHUNK``.

        Only the key of every row is kept for the whole file (``seen``: key -> row number, negative
        when the row failed its checks): a duplicate key or a row of another unit is a row error, and
        the contracts' checks see which achievements the file holds. Every row is checked (cells and
        rules); the rows of a chunk, valid or not, go to ``diff``, which checks the references of all
        and compares the valid ones with the database. The rows are kept only while their chunk is
        compared (and, when applying, written).
        """
        unit_at, ref_at = sheet.index["unit_code"], sheet.index["ref"]
        chunk: list[tuple[int, tuple[str, str], tuple, bool]] = []
        for row_no, v, ok in self.read_sheet(sheet):
            unit_code, ref = v[unit_at], v[ref_at]
            key = (unit_code, ref)
            compact = None if unit_code is None or ref is None else _compact(unit_code, ref)
            first = seen.get(compact) if compact is not None else None
            if first is not None:
                self._duplicate(sheet, row_no, abs(first), key)
            restricted = unit_code is not None and self._restricted(sheet, row_no, "unit_code", unit_code)
            ok = check(row_no, v) and ok
            if compact is None or first is not None or restricted:
                continue  # (an empty key cell is already listed)
            seen[compact] = row_no if ok else -row_no
            chunk.append((row_no, key, tuple(v), ok))
            if len(chunk) >= DIFF_CHUNK:
                self._diff_chunk(sheet, chunk, diff)
                chunk = []
        if chunk:
            self._diff_chunk(sheet, chunk, diff)

    def _diff_chunk(self, sheet: fmt.Sheet, chunk: list, diff) -> None:
        self.added = set()
        diff(chunk)
        self._flush()

    # --- database lookups -----------------------------------------------------------------------

    def _locked(self, queryset):
        return queryset.select_for_update(of=("self",)) if self.lock else queryset

    def _load_units(self, codes: set[str]) -> dict[str, tuple]:
        found = {}
        for chunk in _chunks(sorted(codes)):
            qs = self._locked(Unit.objects.filter(code__in=chunk).order_by("pk"))
            for row in qs.values_list("id", "code", "name", "type", "region"):
                found[row[1]] = row
        return found

    def _need_units(self, codes: set[str]) -> None:
        """Load (once) the registry's units among ``codes``."""
        missing = codes - self.units_looked_up
        if not missing:
            return
        self.units_looked_up |= missing
        for code, row in self._load_units(missing).items():
            self.db_units[code] = row
            self.plan.unit_ids[code] = row[0]
            self.code_of_unit[row[0]] = code

    def _unit_known(self, sheet: fmt.Sheet, row_no: int, code: str) -> bool:
        if code in self.file_units or code in self.db_units:
            return True
        self.problem(
            sheet.name,
            row_no,
            self.column_header(sheet, "unit_code"),
            code,
            _("完成单位代码在本文件的“%(sheet)s”表和库中都不存在。")
            % {"sheet": fmt.sheet_label(fmt.UNITS.name)},
        )
        return False

    def _load_by_unit_and_ref(self, queryset, keys: list[tuple[int, str]], fields: tuple[str, ...]):
        """Rows of ``queryset`` whose (unit_id, ref) is in ``keys``; ``fields`` start with id, unit_id,
        ref. Keys are sorted, so a chunk spans few units and ``unit_id IN (..) AND ref IN (..)``
        (the unique index) fetches hardly more than the keys asked for; extras are dropped here.

        On PostgreSQL each key is first looked up on its own in the unique index (``_ids_of_keys``),
        then the records found are read by id: given ``unit_id IN (..) AND ref IN (..)``, or a join
        with the keys, the planner may read the whole table (a hash join), or the search's trigram
        index of the reference (which holds every record sharing ``CG-`` or ``-00`` with a key),
        for every chunk: tens to hundreds of milliseconds a query once the table holds some
        hundred thousand records, and more while a large import grows it after its statistics."""
        paired = connection.vendor == "postgresql"
        for chunk in _chunks(sorted(keys)):
            wanted = set(chunk)
            if paired:
                ids = _ids_of_keys(queryset.model, chunk)
                if not ids:
                    continue
                qs = queryset.filter(pk__in=ids)
            else:
                qs = queryset.filter(unit_id__in={u for u, _r in chunk}, ref__in=[r for _u, r in chunk])
            for row in self._locked(qs.order_by("pk")).values_list(*fields):
                if (row[1], row[2]) in wanted:
                    yield row

    # --- the diff: one loop for every sheet ------------------------------------------------------

    def _units(self) -> None:
        """The units sheet (small: read whole), then its diff against the registry."""
        units = self.file_units
        for row_no, v, ok in self.read_sheet(fmt.UNITS):
            code = v[U["code"]]
            if code is None:
                continue
            if code in units:
                self._duplicate(fmt.UNITS, row_no, units[code][0], code)
                continue
            if self._restricted(fmt.UNITS, row_no, "code", code):
                continue
            units[code] = (row_no, tuple(v) if ok else None)
        self._need_units(set(units))
        rows = {code: (row_no, v) for code, (row_no, v) in units.items() if v is not None}
        db_rows = ((code, row[0], row[2:]) for code, row in self.db_units.items() if code in rows)
        matched = self._match(fmt.UNITS, db_rows, rows)
        self.added = set()
        self._classify(
            fmt.UNITS, rows, matched, self._unit_allowed, self.plan.units_create, self.plan.units_update
        )
        self.result.new_units = [rows[code][1] for code in sorted(self.added)]

    def _diff_achievements(self, chunk: list[tuple[int, tuple[str, str], tuple, bool]]) -> None:
        sheet = fmt.ACHIEVEMENTS
        plan = self.plan
        self._need_units({entry[1][0] for entry in chunk})
        # Every row's unit must be known; the valid rows are compared.
        rows = {
            key: (row_no, v) for row_no, key, v, ok in chunk if self._unit_known(sheet, row_no, key[0]) and ok
        }
        self._check_patents(rows)
        lookup = [(plan.unit_ids[u], ref) for u, ref in rows if u in plan.unit_ids]
        fields = ("id", "unit_id", "ref", *(c.lookup for c in sheet.compared), "merged_into_id")
        merged = self.merged = set()

        def db_rows():
            for row in self._load_by_unit_and_ref(Achievement.objects.all(), lookup, fields):
                if row[-1] is not None:
                    merged.add(row[0])
                yield (self.code_of_unit[row[1]], row[2]), row[0], row[3:-1]

        matched = self._match(sheet, db_rows(), rows, plan.achievement_ids if self.keep_plan else None)
        self._classify(
            sheet,
            rows,
            matched,
            self._achievement_allowed,
            plan.achievements_create,
            plan.achievements_update,
            dates=("registered_on", "withdrawn_on"),
        )
        if self.sink is not None:
            # The records this chunk updates, as the duplicate-patent rule sees them for the rest of
            # the file: as they were before the import (``exchange.duplicates``).
            updated = {pk for pk, _v in plan.achievements_update}
            for key, entry in matched.items():
                if entry is not None and entry[0] in updated:
                    pk, changed = entry
                    v = rows[key][1]
                    old = {name: changed.get(name, v[A[name]]) for name in ("patent_no", "status", "title")}
                    self.patents.updated(pk, plan.unit_ids[key[0]], key[1], **old)

    def _check_patents(self, rows: dict) -> None:
        """The duplicate-patent rule on a chunk's valid rows (``exchange.duplicates``): a refused
        row is a problem on its patent number and leaves ``rows``; warnings go to the result."""
        for key, row_no, v, message in self.patents.chunk(rows, self.plan.unit_ids):
            self.field_problems(fmt.ACHIEVEMENTS, row_no, v, {"patent_no": message})
            rows.pop(key, None)
        self.result.warnings = self.patents.warnings
        self.result.warning_count = self.patents.warning_count

    def _diff_transformations(self, chunk: list[tuple[int, tuple[str, str], tuple, bool]]) -> None:
        sheet = fmt.TRANSFORMATIONS
        plan = self.plan
        self._need_units({entry[1][0] for entry in chunk})
        # The achievement each contract refers to: valid in this file, or else in the registry.
        pending = []
        lookup = set()
        known = {}
        for row_no, key, v, ok in chunk:
            if not self._unit_known(sheet, row_no, key[0]) or v[T["achievement_ref"]] is None:
                continue
            ach_key = (key[0], v[T["achievement_ref"]])
            compact = _compact(*ach_key)
            in_file = self.achievement_rows.get(compact)
            pending.append((row_no, key, v, ok, ach_key, in_file))
            # (a confirmed import has written the file's achievements, while the file is valid)
            if compact in self.written_ids:
                known[ach_key] = self.written_ids[compact]
            elif (in_file is None or in_file < 0) and ach_key[0] in plan.unit_ids:
                lookup.add((plan.unit_ids[ach_key[0]], ach_key[1]))
        in_registry = {
            (self.code_of_unit[row[1]], row[2]): row[0]
            for row in self._load_by_unit_and_ref(
                Achievement.objects.all(), list(lookup), ("id", "unit_id", "ref")
            )
        }
        in_registry.update(known)
        if self.keep_plan:
            plan.achievement_ids.update(in_registry)

        # Transferees: one per credit code; the rows naming one must agree on its name and region.
        transferee_rows = self.transferee_rows
        rows = {}
        fresh = []  # the transferees first named in this chunk
        for row_no, key, v, ok, ach_key, in_file in pending:
            if (in_file is None or in_file < 0) and ach_key not in in_registry:
                if in_file is not None:
                    continue  # the achievement row itself is invalid and already listed
                self.problem(
                    sheet.name,
                    row_no,
                    self.column_header(sheet, "achievement_ref"),
                    ach_key[1],
                    _("成果编号在本文件的“%(sheet)s”表和库中都找不到（完成单位 %(unit)s）。")
                    % {"sheet": fmt.sheet_label(fmt.ACHIEVEMENTS.name), "unit": key[0]},
                )
                continue
            if not ok:
                continue
            code = v[T["transferee_code"]]
            name, region = v[T["transferee_name"]], v[T["transferee_region"]]
            first = transferee_rows.get(code)
            if first is None:
                transferee_rows[code] = (row_no, name, region)
                fresh.append(code)
            elif (first[1], first[2]) != (name, region):
                column = "transferee_name" if first[1] != name else "transferee_region"
                self.problem(
                    sheet.name,
                    row_no,
                    self.column_header(sheet, column),
                    v[T[column]],
                    _("同一受让方统一社会信用代码 %(code)s 在第 %(row)d 行的名称或地区代码与本行不同。")
                    % {"code": code, "row": first[0]},
                )
                continue
            rows[key] = (row_no, v)
        self._diff_transferees(fresh)  # (a confirmed import writes them before the chunk's contracts)

        lookup = [(plan.unit_ids[u], ref) for u, ref in rows if u in plan.unit_ids]
        fields = ("id", "unit_id", "ref", *(c.lookup for c in sheet.compared))
        db_rows = (
            ((self.code_of_unit[row[1]], row[2]), row[0], row[3:])
            for row in self._load_by_unit_and_ref(Transformation.objects.all(), lookup, fields)
        )
        matched = self._match(sheet, db_rows, rows)
        self.left_transferees.update(
            entry[1]["transferee_code"]
            for entry in matched.values()
            if entry is not None and "transferee_code" in entry[1]
        )
        self._classify(
            sheet,
            rows,
            matched,
            self._contract_allowed,
            plan.transformations_create,
            plan.transformations_update,
            dates=("signed_on",),
        )

    def _classify(self, sheet: fmt.Sheet, rows: dict, matched: dict, allowed, creates, updates, dates=()):
        """The one diff loop, for every sheet: each valid row of the file is an add (its key is not in
        the registry), an update (``matched`` holds the old values of the compared columns that
        differ) or unchanged. ``allowed`` (the policies) may refuse an add or an update and report
        why. The changed rows' units and dates (old and new) make the affected scope."""
        counts = self.result.counts[sheet.name]
        keep = self.keep_plan
        touched = self.plan.touched_units
        positions = [sheet.index[name] for name in dates]
        for key, (row_no, v) in rows.items():
            existing = matched.get(key)
            if existing is None and key in matched:
                counts["unchanged"] += 1
                continue
            if not allowed(row_no, v, existing):
                continue
            touched.add(key[0] if isinstance(key, tuple) else key)
            self._years(*(v[i] for i in positions))
            if existing is None:
                self.added.add(key)
                if keep:
                    creates.append(v)
                self._count(sheet, "add", row_no, key, v, None)
            else:
                pk, old = existing
                if keep:
                    updates.append((pk, v))
                self._years(*(old.get(name) for name in dates))
                self._count(sheet, "update", row_no, key, v, old)

    @staticmethod
    def _match(sheet: fmt.Sheet, db_rows, rows: dict, ids: dict | None = None) -> dict:
        """Compare the registry's records, streamed as (key, id, values of ``sheet.compared``), with
        the file's valid ``rows`` (key -> (row number, values)).

        Returns key -> None (unchanged) or (id, {column: old value} of the columns that differ) for
        the rows found, and fills ``ids`` with key -> id of every record read. Only the differences
        are kept, so memory holds the file's chunk, not the file and the database.
        """
        compared = [(c.key, sheet.index[c.key]) for c in sheet.compared]
        matched = {}
        for key, pk, old in db_rows:
            if ids is not None:
                ids[key] = pk
            entry = rows.get(key)
            if entry is None:
                continue
            v = entry[1]
            changed = {name: value for (name, i), value in zip(compared, old, strict=True) if value != v[i]}
            matched[key] = (pk, changed) if changed else None
        return matched

    def _diff_transferees(self, codes: list[str]) -> None:
        """The transferees first named in a chunk of valid contracts (``codes``), against the
        registry; the later rows naming one must agree with the first (checked by the caller)."""
        if not codes:
            return
        plan = self.plan
        counts = self.result.counts
        transferee_rows = {code: self.transferee_rows[code] for code in codes}
        db_transferees = {}
        for chunk in _chunks(sorted(codes)):
            qs = self._locked(Transferee.objects.filter(code__in=chunk).order_by("pk"))
            for row in qs.values_list("id", "code", "name", "region"):
                db_transferees[row[1]] = row
        plan.transferee_ids.update((code, row[0]) for code, row in db_transferees.items())
        refused = self._transferees_refused(transferee_rows, db_transferees)
        for code, (row_no, name, region) in transferee_rows.items():
            existing = db_transferees.get(code)
            if existing is None:
                plan.transferees_create[code] = (name, region)
                counts["transferees"]["add"] += 1
            elif code in refused:
                continue
            elif (existing[2], existing[3]) != (name, region):
                plan.transferees_update[code] = (existing[0], name, region)
                if existing[3] != region:
                    plan.moved_transferees.add(existing[0])
                counts["transferees"]["update"] += 1
                self._sample(
                    "transferees",
                    row_no,
                    "update",
                    code,
                    [
                        (fmt.TRANSFORMATIONS.columns[T[f]].display_label(), display(o), display(n))
                        for f, o, n in (
                            ("transferee_name", existing[2], name),
                            ("transferee_region", existing[3], region),
                        )
                        if o != n
                    ],
                    title=name,
                )
            else:
                counts["transferees"]["unchanged"] += 1

    # --- policy checks (achievements.policies, the rules the services apply) ----------------------

    def _unit_allowed(self, row_no: int, v, existing) -> bool:
        """Units are the department's master data, as in the API; a changed type or region puts every
        year of the unit in the affected scope."""
        if existing is None:
            return True  # a new unit (a unit's import only gets here with its own, existing, code)
        changed = existing[1]
        if not policies.can_edit_units(self.actor):
            self.field_problems(fmt.UNITS, row_no, v, dict.fromkeys(changed, policies.MSG_UNITS))
            return False
        if "type" in changed or "region" in changed:
            self.plan.unit_scope_changed = True
        return True

    def _achievement_allowed(self, row_no: int, v, existing) -> bool:
        """Marking convertible and restoring a withdrawn record are the department's; a merged
        duplicate is never restored. ``existing``: None for a new record, else (id, changed)."""
        new = {"convertible": v[A["convertible"]], "status": v[A["status"]]}
        old = None
        if existing is not None:
            pk, changed = existing
            old = {
                "unit_id": None,
                "convertible": changed.get("convertible", new["convertible"]),
                "status": changed.get("status", new["status"]),
                "merged": pk in self.merged,
            }
        problems = policies.achievement_problems(self.actor, old=old, new=new)
        return not self.field_problems(fmt.ACHIEVEMENTS, row_no, v, problems)

    def _contract_allowed(self, row_no: int, v, existing) -> bool:
        """Reinstating a cancelled contract is the department's."""
        if existing is None or "status" not in existing[1]:
            return True
        problems = policies.contract_problems(
            self.actor, old={"status": existing[1]["status"]}, new={"status": v[T["status"]]}
        )
        return not self.field_problems(fmt.TRANSFORMATIONS, row_no, v, problems)

    def _transferees_refused(self, transferee_rows: dict, db_transferees: dict) -> set[str]:
        """Codes of existing transferees whose name or region the file changes but the importing
        unit may not (``policies.can_change_transferee``), each reported as a row error that shows
        only what the file says (never the stored name of another unit's transferee)."""
        if self.actor is None:
            return set()
        changed = {
            db_transferees[code][0]: code
            for code, (_row, name, region) in transferee_rows.items()
            if code in db_transferees and (db_transferees[code][2], db_transferees[code][3]) != (name, region)
        }
        other, own = set(), set()
        unit_id = self.actor.unit_id
        for chunk in _chunks(sorted(changed)):
            usage = Transformation.objects.filter(transferee_id__in=chunk).order_by()
            other.update(usage.exclude(unit_id=unit_id).values_list("transferee_id", flat=True).distinct())
            own.update(usage.filter(unit_id=unit_id).values_list("transferee_id", flat=True).distinct())
        refused = set()
        sheet = fmt.TRANSFORMATIONS
        for pk, code in changed.items():
            own_use = pk in own or code in self.left_transferees
            if policies.can_change_transferee(
                self.actor, used_by_other_units=pk in other, used_by_own_unit=own_use
            ):
                continue
            refused.add(code)
            row_no, name, region = transferee_rows[code]
            column = "transferee_name" if db_transferees[code][2] != name else "transferee_region"
            value = name if column == "transferee_name" else region
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, column),
                value,
                policies.transferee_message(code),
            )
        return refused

    def _years(self, *dates: datetime.date | None) -> None:
        for d in dates:
            if d is not None:
                self.plan.years.add(d.year)

    def _count(self, sheet: fmt.Sheet, action: str, row_no: int, key, v, old: dict | None) -> None:
        self.result.counts[sheet.name][action] += 1
        if self.change_samples[sheet.name] >= preview_rows():
            return
        if old is None:
            fields = []
        else:
            fields = [
                (sheet.columns[sheet.index[f]].display_label(), display(o), display(v[sheet.index[f]]))
                for f, o in old.items()
            ]
        # What the preview names the record by (the contract's achievement title is looked up for
        # the sample afterwards: exchange.services.name_changes).
        extra = {}
        if sheet is fmt.UNITS:
            extra["title"] = v[U["name"]]
        elif sheet is fmt.ACHIEVEMENTS:
            extra["title"] = v[A["title"]]
        else:
            extra["achievement"] = [key[0], v[T["achievement_ref"]]]
            extra["transferee"] = v[T["transferee_name"]]
        self._sample(
            sheet.name, row_no, action, " / ".join(key) if isinstance(key, tuple) else key, fields, **extra
        )

    def _sample(self, sheet_name: str, row_no: int, action: str, key: str, fields: list, **extra) -> None:
        if self.change_samples[sheet_name] >= preview_rows():
            return
        self.change_samples[sheet_name] += 1
        self.result.changes.append(
            {
                "sheet": sheet_name,
                "row": row_no,
                "action": action,
                "key": key,
                "fields": [list(f) for f in fields],
                **extra,
            }
        )


def validate(
    reader: Reader | None,
    *,
    unit: Unit | None = None,
    lock: bool = False,
    progress=None,
    keep_plan: bool = True,
    sink: Callable[[Plan], None] | None = None,
) -> ImportResult:
    """Validate the reader's file. With ``keep_plan=False`` the rows to write are not kept: the
    result has the counts, the sample of changes, the problems and a plan without rows (units,
    years, transferees). With ``sink`` (a confirmed import, in its transaction), each checked chunk's
    part of the plan is handed to ``sink`` while the file has no problem so far: the caller undoes
    the writes when the result is not valid."""
    validator = Validator(
        reader,
        unit=unit,
        lock=lock,
        progress=progress,
        keep_plan=keep_plan,
        sink=sink,
    )
    result = validator.run()
    if result.valid:
        result.plan = validator.plan
    return result
