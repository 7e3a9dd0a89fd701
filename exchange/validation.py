"""Validation and diff of an exchange file against the registry (docs/exchange-format.md, import rules).

``validate(reader, ...)`` reads every row, checks each cell, then the rules across rows and against
the database, and returns an ``ImportResult``: every problem as (sheet, row, column, value,
message), the counts of rows to add / update / leave unchanged per sheet, a sample of the changes
for the preview, and the ``Plan`` that ``exchange.writer`` applies.

Memory is bounded by the keys, not the rows: each sheet is read as a stream, its valid rows are
compared with the database in chunks of ``DIFF_CHUNK``, and only every row's key (for duplicates
and references) and the differences are kept; a preview (``keep_plan=False``) keeps no rows at all.

Database lookups are bulk: the records matching the keys found in the file are loaded with ``IN``
queries in chunks, so the number of queries grows with the file size divided by the chunk size,
never with the number of rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from achievements import policies
from achievements.choices import PATENT_IP_TYPES, AchievementStatus
from achievements.models import EARLIEST_IP_GRANT, Achievement, Cluster, Transferee, Transformation, Unit
from core.validators import validate_patent_no

from . import format as fmt
from .cells import PARSERS, CellError, display
from .readers import FileProblem, Reader

LOOKUP_CHUNK = 900  # keys per IN query (stays below SQLite's parameter limits)
DIFF_CHUNK = 2000  # valid rows compared with the database at a time
PROGRESS_STEP = 2000  # rows between progress reports

U = fmt.UNITS.index
A = fmt.ACHIEVEMENTS.index
T = fmt.TRANSFORMATIONS.index

# Fields compared for the diff, in sheet order (the key columns are not compared).
UNIT_FIELDS = ("name", "type", "region")
ACHIEVEMENT_FIELDS = (
    "title",
    "ip_type",
    "patent_no",
    "trl",
    "cluster",
    "funded",
    "registered_on",
    "ip_granted_on",
    "convertible",
    "status",
    "withdrawn_on",
)
TRANSFORMATION_FIELDS = (
    "achievement_ref",
    "mode",
    "transferee_code",
    "signed_on",
    "amount",
    "received",
    "status",
)


def _max_problems() -> int:
    return getattr(settings, "IMPORT_MAX_ERRORS", 5000)


def _preview_rows() -> int:
    return getattr(settings, "IMPORT_PREVIEW_ROWS", 200)


@dataclass
class Plan:
    """What a valid file changes. Rows are tuples in the sheet's column order."""

    unit_ids: dict[str, int] = field(default_factory=dict)  # existing units by code
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

    @property
    def valid(self) -> bool:
        return self.problem_count == 0

    @property
    def change_count(self) -> int:
        return sum(c["add"] + c["update"] for c in self.counts.values())

    def summary(self) -> dict:
        """JSON-serialisable form, stored on the import job."""
        return {
            "rows": self.rows,
            "counts": self.counts,
            "changes": self.changes,
            "problem_count": self.problem_count,
        }


def _compact(unit_code: str, ref: str) -> str:
    """One string for a (unit code, ref) key: about half the memory of a tuple, kept for every row."""
    return f"{unit_code}\x1f{ref}"


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Validator:
    def __init__(
        self,
        reader: Reader,
        *,
        unit: Unit | None = None,
        lock: bool = False,
        progress=None,
        keep_plan: bool = True,
        sink: Callable[[Plan], None] | None = None,
        checked: Plan | None = None,
    ):
        self.reader = reader
        self.keep_plan = keep_plan  # False for a preview: count and sample the changes, keep no rows
        # Writing pass (after a checking pass found the file valid, in the same transaction): each
        # chunk's part of the plan goes to ``sink`` and is dropped; the transferees come from the
        # checking pass's plan ``checked``, written before the first contract.
        self.sink = sink
        self.checked = checked
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

    # --- problems -------------------------------------------------------------------------------

    def problem(self, sheet: str, row: int | None, column: str, value, message: str) -> None:
        self.result.problem_count += 1
        if len(self.result.problems) < _max_problems():
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

    # --- reading --------------------------------------------------------------------------------

    def _report(self) -> None:
        if self.progress and self.estimate:
            self.progress(min(self.read / self.estimate, 1.0))

    def read_sheet(self, sheet: fmt.Sheet) -> Iterable[tuple[int, list]]:
        """Yield (row number, parsed values, all cells fine) for every non-empty row. A row with a
        problem is still yielded (its key takes part in the duplicate and reference checks)."""
        if not self.reader.has_sheet(sheet.name):
            self.problem(
                sheet.name, None, "", "", _("缺少工作表（或 CSV 文件）“%(name)s”。") % {"name": sheet.name}
            )
            return
        rows = iter(self.reader.rows(sheet.name))
        first = next(rows, None)
        if first is None:
            return
        header = first[1]
        mapping = self._map_header(sheet, header, first[0])
        if mapping is None:
            return
        required = [i for i, c in enumerate(sheet.columns) if c.required]
        width = len(sheet.columns)
        name = sheet.name
        headers = self.headers[name]
        for row_no, raw in rows:
            self.read += 1
            if self.read % PROGRESS_STEP == 0:
                self._report()
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

    def _map_header(self, sheet: fmt.Sheet, header: tuple, header_row: int = 1):
        known = fmt.header_map(sheet.name)
        mapping = []
        seen: dict[str, int] = {}
        headers = [""] * len(sheet.columns)
        ok = True
        for src, cell in enumerate(header):
            if cell is None or not str(cell).strip():
                continue
            text = str(cell).strip()
            key = known.get(text.casefold())
            if key is None:
                ok = False
                self.problem(
                    sheet.name,
                    header_row,
                    text,
                    text,
                    _("未知的列“%(header)s”：请使用模板中的英文键名或中文表头。") % {"header": text},
                )
                continue
            if key in seen:
                ok = False
                self.problem(
                    sheet.name, 1, text, text, _("列重复：与第 %(n)d 列相同。") % {"n": seen[key] + 1}
                )
                continue
            seen[key] = src
            col_idx = sheet.index[key]
            column = sheet.columns[col_idx]
            headers[col_idx] = text
            mapping.append((src, col_idx, column, PARSERS[column.kind]))
        for column in sheet.columns:
            if column.required and column.key not in seen:
                ok = False
                self.problem(
                    sheet.name,
                    header_row,
                    column.key,
                    "",
                    _("缺少必填列“%(key)s”（%(label)s）。")
                    % {"key": column.key, "label": column.display_label()},
                )
        self.headers[sheet.name] = [h or c.key for h, c in zip(headers, sheet.columns, strict=True)]
        return mapping if ok else None

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

    # --- per-row rules --------------------------------------------------------------------------

    def check_achievement(self, row_no: int, v: list) -> bool:
        sheet = fmt.ACHIEVEMENTS
        ok = True
        patent = v[A["patent_no"]]
        ip_type = v[A["ip_type"]]
        if ip_type in PATENT_IP_TYPES and not patent:
            ok = False
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, "patent_no"),
                "",
                _("专利类成果必须填写专利号。"),
            )
        elif patent:
            try:
                validate_patent_no(patent, ip_type)
            except ValidationError as exc:
                ok = False
                self.problem(
                    sheet.name, row_no, self.column_header(sheet, "patent_no"), patent, " ".join(exc.messages)
                )
        else:
            v[A["patent_no"]] = ""
        status, withdrawn_on, registered_on = v[A["status"]], v[A["withdrawn_on"]], v[A["registered_on"]]
        if status == AchievementStatus.WITHDRAWN and withdrawn_on is None:
            ok = False
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, "withdrawn_on"),
                "",
                _("已撤回的成果必须填写撤回日期。"),
            )
        if status == AchievementStatus.ACTIVE and withdrawn_on is not None:
            ok = False
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, "withdrawn_on"),
                withdrawn_on,
                _("有效的成果不能有撤回日期。"),
            )
        if withdrawn_on is not None and registered_on is not None and withdrawn_on < registered_on:
            ok = False
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, "withdrawn_on"),
                withdrawn_on,
                _("撤回日期不能早于登记日期。"),
            )
        granted = v[A["ip_granted_on"]]
        if granted is not None and granted < EARLIEST_IP_GRANT:
            ok = False
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, "ip_granted_on"),
                granted,
                _("授权日期不能早于1985年4月1日。"),
            )
        cluster = v[A["cluster"]]
        if cluster is not None and cluster not in self.plan.cluster_ids:
            ok = False
            self.problem(
                sheet.name,
                row_no,
                self.column_header(sheet, "cluster"),
                cluster,
                _("产业集群代码不在库中的产业集群清单中。"),
            )
        return ok

    def check_transformation(self, row_no: int, v: list) -> bool:
        received, amount = v[T["received"]], v[T["amount"]]
        if received is not None and amount is not None and received > amount:
            self.problem(
                fmt.TRANSFORMATIONS.name,
                row_no,
                self.column_header(fmt.TRANSFORMATIONS, "received"),
                received,
                _("到账金额不能大于合同金额（%(amount)s 元）。") % {"amount": amount},
            )
            return False
        return True

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
        self.estimate = self.reader.estimate_rows()
        self.plan.cluster_ids = dict(Cluster.objects.values_list("code", "id"))
        counts = self.result.counts
        for sheet in fmt.SHEETS:
            counts[sheet.name] = {"add": 0, "update": 0, "unchanged": 0}
        counts["transferees"] = {"add": 0, "update": 0, "unchanged": 0}

        self._units()
        self._flush()
        self._stream(fmt.ACHIEVEMENTS, self.check_achievement, self.achievement_rows, self._diff_achievements)
        if self.sink is not None and self.checked is not None:
            self.plan.transferees_create = dict(self.checked.transferees_create)
            self.plan.transferees_update = dict(self.checked.transferees_update)
            self.plan.transferee_ids = dict(self.checked.transferee_ids)
            self._flush()
        self._stream(
            fmt.TRANSFORMATIONS, self.check_transformation, self.contract_rows, self._diff_transformations
        )
        if self.sink is None:
            self._diff_transferees()
        self._report()

    def _flush(self) -> None:
        """Writing pass: hand the rows diffed so far to the sink and let them go."""
        if self.sink is None or self.result.problem_count:
            return
        plan = self.plan
        self.sink(plan)
        for code, pk in plan.unit_ids.items():
            self.code_of_unit[pk] = code  # units created by the sink
        plan.units_create, plan.units_update = [], []
        plan.achievements_create, plan.achievements_update = [], []
        plan.transformations_create, plan.transformations_update = [], []
        plan.transferees_create, plan.transferees_update = {}, {}
        plan.achievement_ids = {}

    def _stream(self, sheet: fmt.Sheet, check, seen: dict[str, int], diff) -> None:
        """Read a keyed sheet as a stream and diff its valid rows in chunks of ``DIFF_CHUNK``.

        Only the key of every row is kept for the whole file (``seen``: key -> row number, negative
        when the row failed its checks): a duplicate key or a row of another unit is a row error, and
        the contracts' checks see which achievements the file holds. The rows themselves are kept
        only while their chunk is compared with the database (and, when applying, in the plan).
        """
        unit_at, ref_at = sheet.index["unit_code"], sheet.index["ref"]
        chunk: list[tuple[int, tuple[str, str], tuple]] = []
        for row_no, v, ok in self.read_sheet(sheet):
            unit_code, ref = v[unit_at], v[ref_at]
            if unit_code is None or ref is None:
                continue  # the empty key cell is already listed
            key = (unit_code, ref)
            compact = _compact(unit_code, ref)
            first = seen.get(compact)
            if first is not None:
                self._duplicate(sheet, row_no, abs(first), key)
                continue
            if self._restricted(sheet, row_no, "unit_code", unit_code):
                continue
            ok = check(row_no, v) and ok
            seen[compact] = row_no if ok else -row_no
            if ok:
                chunk.append((row_no, key, tuple(v)))
                if len(chunk) >= DIFF_CHUNK:
                    diff(chunk)
                    self._flush()
                    chunk = []
        if chunk:
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
            _("完成单位代码在本文件的 units 表和库中都不存在。"),
        )
        return False

    def _load_by_unit_and_ref(self, queryset, keys: list[tuple[int, str]], fields: tuple[str, ...]):
        """Rows of ``queryset`` whose (unit_id, ref) is in ``keys``; ``fields`` start with id, unit_id,
        ref. Keys are sorted, so a chunk spans one or two units and ``unit_id IN (..) AND ref IN (..)``
        (the unique index) fetches hardly more than the keys asked for; extras are dropped here."""
        for chunk in _chunks(sorted(keys)):
            wanted = set(chunk)
            qs = queryset.filter(unit_id__in={u for u, _r in chunk}, ref__in=[r for _u, r in chunk])
            for row in self._locked(qs.order_by("pk")).values_list(*fields):
                if (row[1], row[2]) in wanted:
                    yield row

    # --- the diff, sheet by sheet ---------------------------------------------------------------

    def _units(self) -> None:
        """The units sheet (small: read whole), then its diff against the registry."""
        plan = self.plan
        counts = self.result.counts
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
        for code, (row_no, v) in units.items():
            if v is None:
                continue
            existing = self.db_units.get(code)
            if existing is None:
                if self.keep_plan:
                    plan.units_create.append(v)
                plan.touched_units.add(code)
                self._count(fmt.UNITS, "add", row_no, code, v, None)
                continue
            old = dict(zip(UNIT_FIELDS, existing[2:], strict=True))
            changed = [f for f in UNIT_FIELDS if old[f] != v[U[f]]]
            if changed and not policies.can_edit_units(self.actor):
                for name in changed:  # units are the department's master data, as in the API
                    self.problem(
                        fmt.UNITS.name,
                        row_no,
                        self.column_header(fmt.UNITS, name),
                        v[U[name]],
                        policies.MSG_UNITS,
                    )
                continue
            if changed:
                if self.keep_plan:
                    plan.units_update.append((existing[0], v))
                plan.touched_units.add(code)
                if old["type"] != v[U["type"]] or old["region"] != v[U["region"]]:
                    plan.unit_scope_changed = True
                self._count(fmt.UNITS, "update", row_no, code, v, {f: old[f] for f in changed})
            else:
                counts["units"]["unchanged"] += 1

    def _diff_achievements(self, chunk: list[tuple[int, tuple[str, str], tuple]]) -> None:
        plan = self.plan
        self._need_units({key[0] for _row_no, key, _v in chunk})
        achievements = {
            key: (row_no, v) for row_no, key, v in chunk if self._unit_known(fmt.ACHIEVEMENTS, row_no, key[0])
        }
        lookup = [(plan.unit_ids[u], ref) for u, ref in achievements if u in plan.unit_ids]
        ach_fields = ("id", "unit_id", "ref") + tuple(
            f if f != "cluster" else "cluster__code" for f in ACHIEVEMENT_FIELDS
        )
        ach_fields += ("version", "merged_into_id")
        merged: set[int] = set()

        def noting_merged(rows):
            for row in rows:
                if row[-1] is not None:
                    merged.add(row[0])
                yield row

        rows = noting_merged(self._load_by_unit_and_ref(Achievement.objects.all(), lookup, ach_fields))
        ids = plan.achievement_ids if self.keep_plan else {}
        matched = self._match(rows, self.code_of_unit, achievements, ACHIEVEMENT_FIELDS, A, ids)

        for key, (row_no, v) in achievements.items():
            if not self._achievement_allowed(row_no, v, matched.get(key), key in matched, merged):
                continue
            self._years(v[A["registered_on"]], v[A["withdrawn_on"]])
            if key not in matched:
                if self.keep_plan:
                    plan.achievements_create.append(v)
                plan.touched_units.add(key[0])
                self._count(fmt.ACHIEVEMENTS, "add", row_no, key, v, None)
                continue
            existing = matched[key]
            if existing is not None:
                pk, old = existing
                if self.keep_plan:
                    plan.achievements_update.append((pk, v))
                plan.touched_units.add(key[0])
                self._years(old.get("registered_on"), old.get("withdrawn_on"))
                self._count(fmt.ACHIEVEMENTS, "update", row_no, key, v, old)
            else:
                self.result.counts["achievements"]["unchanged"] += 1

    def _diff_transformations(self, chunk: list[tuple[int, tuple[str, str], tuple]]) -> None:
        plan = self.plan
        self._need_units({key[0] for _row_no, key, _v in chunk})
        # The achievement each contract refers to: valid in this file, or else in the registry.
        pending = []
        lookup = set()
        for row_no, key, v in chunk:
            if not self._unit_known(fmt.TRANSFORMATIONS, row_no, key[0]):
                continue
            ach_key = (key[0], v[T["achievement_ref"]])
            in_file = self.achievement_rows.get(_compact(*ach_key))
            pending.append((row_no, key, v, ach_key, in_file))
            # (the writing pass finds every achievement in the registry: the file's are written)
            if (in_file is None or in_file < 0 or self.sink is not None) and ach_key[0] in plan.unit_ids:
                lookup.add((plan.unit_ids[ach_key[0]], ach_key[1]))
        in_registry = {
            (self.code_of_unit[row[1]], row[2]): row[0]
            for row in self._load_by_unit_and_ref(
                Achievement.objects.all(), list(lookup), ("id", "unit_id", "ref")
            )
        }
        if self.keep_plan:
            plan.achievement_ids.update(in_registry)

        # Transferees: one per credit code; the rows naming one must agree on its name and region.
        transferee_rows = self.transferee_rows
        tr_valid = {}
        for row_no, key, v, ach_key, in_file in pending:
            if (in_file is None or in_file < 0) and ach_key not in in_registry:
                if in_file is not None:
                    continue  # the achievement row itself is invalid and already listed
                self.problem(
                    fmt.TRANSFORMATIONS.name,
                    row_no,
                    self.column_header(fmt.TRANSFORMATIONS, "achievement_ref"),
                    ach_key[1],
                    _("成果编号在本文件的 achievements 表和库中都找不到（完成单位 %(unit)s）。")
                    % {"unit": key[0]},
                )
                continue
            code = v[T["transferee_code"]]
            name, region = v[T["transferee_name"]], v[T["transferee_region"]]
            first = transferee_rows.get(code)
            if first is None:
                transferee_rows[code] = (row_no, name, region)
            elif (first[1], first[2]) != (name, region):
                self.problem(
                    fmt.TRANSFORMATIONS.name,
                    row_no,
                    self.column_header(
                        fmt.TRANSFORMATIONS, "transferee_name" if first[1] != name else "transferee_region"
                    ),
                    name if first[1] != name else region,
                    _("同一受让方统一社会信用代码 %(code)s 在第 %(row)d 行的名称或地区代码与本行不同。")
                    % {"code": code, "row": first[0]},
                )
                continue
            tr_valid[key] = (row_no, v)

        tr_lookup = [(plan.unit_ids[u], ref) for u, ref in tr_valid if u in plan.unit_ids]
        tr_fields = ("id", "unit_id", "ref", "achievement__ref", "mode", "transferee__code", "signed_on")
        tr_fields += ("amount", "received", "status", "version")
        rows = self._load_by_unit_and_ref(Transformation.objects.all(), tr_lookup, tr_fields)
        matched = self._match(rows, self.code_of_unit, tr_valid, TRANSFORMATION_FIELDS, T, {})
        for key, (row_no, v) in tr_valid.items():
            existing = matched.get(key)
            if existing is not None and "status" in existing[1]:
                problems = policies.contract_problems(
                    self.actor, old={"status": existing[1]["status"]}, new={"status": v[T["status"]]}
                )
                if self._policy_problems(fmt.TRANSFORMATIONS, row_no, v, problems):
                    continue
            self._years(v[T["signed_on"]])
            if key not in matched:
                if self.keep_plan:
                    plan.transformations_create.append(v)
                plan.touched_units.add(key[0])
                self._count(fmt.TRANSFORMATIONS, "add", row_no, key, v, None)
                continue
            existing = matched[key]
            if existing is not None:
                pk, old = existing
                if self.keep_plan:
                    plan.transformations_update.append((pk, v))
                plan.touched_units.add(key[0])
                self._years(old.get("signed_on"))
                self._count(fmt.TRANSFORMATIONS, "update", row_no, key, v, old)
            else:
                self.result.counts["transformations"]["unchanged"] += 1

    def _diff_transferees(self) -> None:
        """The transferees named by the file's valid contracts against the registry."""
        plan = self.plan
        counts = self.result.counts
        transferee_rows = self.transferee_rows
        db_transferees = {}
        for chunk in _chunks(sorted(transferee_rows)):
            qs = self._locked(Transferee.objects.filter(code__in=chunk).order_by("pk"))
            for row in qs.values_list("id", "code", "name", "region"):
                db_transferees[row[1]] = row
        plan.transferee_ids = {code: row[0] for code, row in db_transferees.items()}
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
                )
            else:
                counts["transferees"]["unchanged"] += 1

    # --- policy checks (achievements.policies, the rules the services apply) ----------------------

    def _policy_problems(self, sheet: fmt.Sheet, row_no: int, v, problems: dict[str, str]) -> bool:
        """Report each refused change as an error of its column; True when there was any."""
        for name, message in problems.items():
            self.problem(sheet.name, row_no, self.column_header(sheet, name), v[sheet.index[name]], message)
        return bool(problems)

    def _achievement_allowed(self, row_no: int, v, existing, found: bool, merged: set[int]) -> bool:
        """Marking convertible and restoring a withdrawn record are the department's; a merged
        duplicate is never restored. ``existing`` is ``_match``'s entry (None: unchanged)."""
        new = {"convertible": v[A["convertible"]], "status": v[A["status"]]}
        if not found:
            old = None
        elif existing is None:
            return True  # unchanged
        else:
            pk, changed = existing
            old = {
                "unit_id": None,
                "convertible": changed.get("convertible", new["convertible"]),
                "status": changed.get("status", new["status"]),
                "merged": pk in merged,
            }
        problems = policies.achievement_problems(self.actor, old=old, new=new)
        return not self._policy_problems(fmt.ACHIEVEMENTS, row_no, v, problems)

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
            if policies.can_change_transferee(
                self.actor, used_by_other_units=pk in other, used_by_own_unit=pk in own
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

    @staticmethod
    def _match(rows, code_of_unit, file_rows, fields, index, ids: dict) -> dict:
        """Compare database rows (id, unit_id, ref, *fields, version), streamed, with the file's.

        Returns key -> None (unchanged) or (id, {field: old value} of the changed fields) for the
        file's valid rows found in the database, and fills ``ids`` with key -> id of every row read.
        Only the differences are kept, so memory holds the file, not the file and the database.
        """
        matched = {}
        positions = [(n, index[f]) for n, f in enumerate(fields, start=3)]
        for row in rows:
            key = (code_of_unit[row[1]], row[2])
            ids[key] = row[0]
            entry = file_rows.get(key)
            if entry is None or entry[1] is None:
                continue
            v = entry[1]
            changed = {fields[n - 3]: row[n] for n, i in positions if row[n] != v[i]}
            matched[key] = (row[0], changed) if changed else None
        return matched

    def _years(self, *dates: datetime.date | None) -> None:
        for d in dates:
            if d is not None:
                self.plan.years.add(d.year)

    def _count(self, sheet: fmt.Sheet, action: str, row_no: int, key, v, old: dict | None) -> None:
        self.result.counts[sheet.name][action] += 1
        if self.change_samples[sheet.name] >= _preview_rows():
            return
        if old is None:
            fields = []
        else:
            fields = [
                (sheet.columns[sheet.index[f]].display_label(), display(o), display(v[sheet.index[f]]))
                for f, o in old.items()
            ]
        self._sample(sheet.name, row_no, action, " / ".join(key) if isinstance(key, tuple) else key, fields)

    def _sample(self, sheet_name: str, row_no: int, action: str, key: str, fields: list) -> None:
        if self.change_samples[sheet_name] >= _preview_rows():
            return
        self.change_samples[sheet_name] += 1
        self.result.changes.append(
            {
                "sheet": sheet_name,
                "row": row_no,
                "action": action,
                "key": key,
                "fields": [list(f) for f in fields],
            }
        )


def validate(
    reader: Reader,
    *,
    unit: Unit | None = None,
    lock: bool = False,
    progress=None,
    keep_plan: bool = True,
    sink: Callable[[Plan], None] | None = None,
    checked: Plan | None = None,
) -> ImportResult:
    """Validate the reader's file. With ``keep_plan=False`` the rows to write are not kept: the
    result has the counts, the sample of changes, the problems and a plan without rows (units,
    years, transferees). With ``sink`` (and the ``checked`` plan of a first pass), the rows are
    handed to ``sink`` chunk by chunk: the bounded-memory write."""
    validator = Validator(
        reader, unit=unit, lock=lock, progress=progress, keep_plan=keep_plan, sink=sink, checked=checked
    )
    result = validator.run()
    if result.valid:
        result.plan = validator.plan
    return result
