"""Writing a validated ``Plan`` to the registry: batched writes with one history entry per record.

Called by ``exchange.services.registry_import`` for each checked chunk, inside its transaction. The row rules were checked by
the validator and the database constraints hold the invariants, so the writer does not call
``full_clean`` per record (that would cost a query or more per row). Each created or changed record
gets one history entry with the acting user and the reason.

New records on PostgreSQL go in with ``COPY … FROM STDIN`` (``Writer.copy_create``): their ids are
drawn from the table's sequence first, then the records and their history rows are copied as CSV
text built straight from the row values, without a model instance per record (about ten times the
rate of ``bulk_create_with_history``), through the import's ``CopyPipe``. Elsewhere, and for changed
records, the rows go through ``bulk_create_with_history`` / ``bulk_update_with_history``.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable

from django.db import connection
from django.db.models import DateTimeField
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from achievements.models import Achievement, Transferee, Transformation, Unit

from . import format as fmt
from .validation import Plan

BATCH = 1000
COPY_BATCH = 10_000  # rows per COPY (a chunk's part of the plan is at most DIFF_CHUNK rows a sheet)

U = fmt.UNITS.index
A = fmt.ACHIEVEMENTS.index
T = fmt.TRANSFORMATIONS.index

# The model fields written straight from a cell (exchange.format declares them; the columns naming
# another record, a unit, cluster, achievement or transferee by its code, are resolved to ids here).
UNIT_COLUMNS = fmt.UNITS.plain_fields()  # code first
ACHIEVEMENT_COLUMNS = fmt.ACHIEVEMENTS.plain_fields(compared=True)
TRANSFORMATION_COLUMNS = fmt.TRANSFORMATIONS.plain_fields(compared=True)


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value as COPY's text format writes it: ``\\N`` for NULL, text with its backslash, tab and
    line breaks escaped, anything else (numbers, dates, booleans, aware datetimes) as ``str``.
    (``Writer.copy_create`` inlines the same for speed.)"""
    if value is None:
        return "\\N"
    if value.__class__ is str:
        return value.translate(_COPY_ESCAPES)
    return str(value)


class CopyPipe:
    """Sends a confirmed import's ``COPY`` statements from a second thread, on the connection of the
    import's transaction, so that the database writes one chunk while the process checks the next.

    Used around the import's one pass (``exchange.services.registry_import``) on PostgreSQL. The
    connection carries one statement at a time: every query of the pass waits until the ``COPY``
    statements sent before it are done (a wrapper on the connection's ``execute``), and an error
    of a ``COPY`` is raised there, or when the pass ends, in the importing thread. The thread holds
    the interpreter's lock only to start a statement and to collect its result: it hands the
    whole text to libpq, which sends it while the process goes on.

    The foreign keys are checked as each ``COPY`` writes its rows (``SET CONSTRAINTS ALL
    IMMEDIATE``, the deferred default again afterwards) rather than all at the commit, so that the
    checks too run while the process reads on.
    """

    def __init__(self):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.idle = threading.Condition()
        self.pending = 0
        self.error: BaseException | None = None
        self.raised = False
        self.stopped = False

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor = connection.connection.cursor()  # the driver's own, used by the thread only
        self.gate = connection.execute_wrapper(self._gate)
        self.gate.__enter__()
        self.thread = threading.Thread(target=self._run, name="import-copy", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.stopped = True  # the pass failed: the statements still queued are not sent
        try:
            self.jobs.put(None)
            self.thread.join()  # the connection is the importing thread's again
        finally:
            self.gate.__exit__(exc_type, exc, tb)
            self.cursor.close()
        if exc_type is None:
            self._raise()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def submit(self, sql: str, data: bytes) -> None:
        """Queue ``COPY … FROM STDIN`` with its whole text."""
        self._raise()
        with self.idle:
            self.pending += 1
        self.jobs.put((sql, data))

    def wait(self) -> None:
        """Return once every queued statement is done; raise the error of the first that failed."""
        with self.idle:
            while self.pending:
                self.idle.wait()
        self._raise()

    def _gate(self, execute, sql, params, many, context):
        self.wait()
        return execute(sql, params, many, context)

    def _raise(self) -> None:
        if self.error is not None and not self.raised:
            self.raised = True  # (once: the transaction is aborted, and the caller rolls it back)
            with connection.wrap_database_errors:
                raise self.error

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            sql, data = job
            try:
                if self.error is None and not self.stopped:
                    self.cursor.copy_expert(sql, io.BytesIO(data), size=max(len(data), 1))
            except BaseException as exc:  # noqa: BLE001 (raised in the importing thread)
                self.error = exc
            finally:
                with self.idle:
                    self.pending -= 1
                    self.idle.notify_all()


def use_copy() -> bool:
    """COPY needs PostgreSQL through psycopg2 (``cursor.copy_expert``)."""
    return connection.vendor == "postgresql" and connection.Database.__name__.startswith("psycopg2")


class Writer:
    def __init__(
        self,
        plan: Plan,
        *,
        acting_user,
        reason: str,
        pipe: CopyPipe | None = None,
    ):
        self.plan = plan
        self.pipe = pipe
        self.user = acting_user
        self.reason = reason
        self.now = timezone.now()
        self.copy = use_copy()
        self.batch = COPY_BATCH if self.copy else BATCH

    def _create(self, model, rows: list[dict]) -> list[int]:
        """Insert records given as {attname: value} (the other fields take their defaults), each
        with one history row; return their ids in order."""
        if not rows:
            return []
        if self.copy:
            ids = self.copy_create(model, rows)
        else:
            objs = bulk_create_with_history(
                [model(**row) for row in rows],
                model,
                batch_size=BATCH,
                default_user=self.user,
                default_change_reason=self.reason,
            )
            ids = [obj.pk for obj in objs]
        return ids

    def copy_create(self, model, rows: list[dict]) -> list[int]:
        """PostgreSQL: the records and their history rows with two ``COPY`` statements."""
        meta = model._meta
        table = meta.db_table
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), meta.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        fields = [f for f in meta.concrete_fields if not f.generated]
        defaults = {}
        for f in fields:
            if isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add):
                defaults[f.attname] = self.now
            elif not f.primary_key:
                defaults[f.attname] = f.get_default()
        defaults = [(f.attname, defaults.get(f.attname)) for f in fields]
        pk_name = meta.pk.attname

        # One history row per record, as simple_history writes it ('+' = created): the record's
        # cells (formatted once) and the history's own.
        history = model.history.model
        history_fields = [f for f in history._meta.concrete_fields if not f.primary_key]
        extra = {
            "history_date": self.now,
            "history_change_reason": self.reason,
            "history_type": "+",
            "history_user_id": getattr(self.user, "pk", None),
        }
        position = {f.attname: i for i, f in enumerate(fields)}
        history_cells = [
            (-1, _copy_text(extra[f.attname])) if f.attname in extra else (position[f.attname], "")
            for f in history_fields
        ]
        lines, histories = [], []
        for pk, row in zip(ids, rows, strict=True):
            values = [pk if name == pk_name else row.get(name, default) for name, default in defaults]
            cells = [
                "\\N"
                if x is None
                else str(x)
                if x.__class__ is not str
                else x
                if x.isprintable() and "\\" not in x
                else x.translate(_COPY_ESCAPES)
                for x in values
            ]
            histories.append("\t".join([cells[i] if i >= 0 else text for i, text in history_cells]))
            lines.append("\t".join(cells))
        self._copy(meta.db_table, fields, lines)
        self._copy(history._meta.db_table, history_fields, histories)
        return ids

    def _copy(self, table: str, fields: list, lines: list[str]) -> None:
        """``COPY table (fields) FROM STDIN`` in PostgreSQL's text format (``lines`` of cells): sent
        by the import's ``CopyPipe`` when there is one, else here."""
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(table)} ({columns}) FROM STDIN"
        data = ("\n".join(lines) + "\n").encode()
        if self.pipe is not None:
            self.pipe.submit(sql, data)
            return
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(sql, io.BytesIO(data), size=len(data))

    def _update(self, model, ids_values: list, apply: Callable, fields: list[str]) -> None:
        """Load the records (history copies every field), apply the row, bulk update."""
        for batch in _batches(ids_values):
            records = model.objects.in_bulk([pk for pk, _v in batch])
            objs = []
            for pk, values in batch:
                obj = records[pk]
                apply(obj, values)
                obj.updated_at = self.now
                objs.append(obj)
            bulk_update_with_history(
                objs,
                model,
                fields=[*fields, "updated_at"],
                batch_size=BATCH,
                default_user=self.user,
                default_change_reason=self.reason,
            )

    def run(self) -> None:
        plan = self.plan
        unit_ids = plan.unit_ids

        # Units.
        for batch in _batches(plan.units_create, self.batch):
            rows = [{name: v[U[name]] for name in UNIT_COLUMNS} for v in batch]
            for row, pk in zip(rows, self._create(Unit, rows), strict=True):
                unit_ids[row["code"]] = pk

        def set_unit(obj, v):
            for name in UNIT_COLUMNS[1:]:
                setattr(obj, name, v[U[name]])

        self._update(Unit, plan.units_update, set_unit, list(UNIT_COLUMNS[1:]))

        # Achievements.
        clusters = plan.cluster_ids
        achievement_ids = plan.achievement_ids

        def achievement_values(v) -> dict:
            values = {name: v[A[name]] for name in ACHIEVEMENT_COLUMNS}
            values["cluster_id"] = clusters[v[A["cluster"]]] if v[A["cluster"]] else None
            return values

        for batch in _batches(plan.achievements_create, self.batch):
            rows = [
                {"unit_id": unit_ids[v[A["unit_code"]]], "ref": v[A["ref"]], **achievement_values(v)}
                for v in batch
            ]
            for v, pk in zip(batch, self._create(Achievement, rows), strict=True):
                achievement_ids[(v[A["unit_code"]], v[A["ref"]])] = pk

        def set_achievement(obj, v):
            for name, value in achievement_values(v).items():
                setattr(obj, name, value)
            obj.version += 1

        self._update(
            Achievement,
            plan.achievements_update,
            set_achievement,
            [*ACHIEVEMENT_COLUMNS, "cluster_id", "version"],
        )

        # Transferees, upserted by credit code.
        transferee_ids = plan.transferee_ids
        for batch in _batches(list(plan.transferees_create.items()), self.batch):
            rows = [{"code": code, "name": name, "region": region} for code, (name, region) in batch]
            for row, pk in zip(rows, self._create(Transferee, rows), strict=True):
                transferee_ids[row["code"]] = pk

        def set_transferee(obj, values):
            obj.name, obj.region = values

        self._update(
            Transferee,
            [(pk, (name, region)) for pk, name, region in plan.transferees_update.values()],
            set_transferee,
            ["name", "region"],
        )

        # Contracts.
        def transformation_values(v) -> dict:
            values = {name: v[T[name]] for name in TRANSFORMATION_COLUMNS}
            values["achievement_id"] = achievement_ids[(v[T["unit_code"]], v[T["achievement_ref"]])]
            values["transferee_id"] = transferee_ids[v[T["transferee_code"]]]
            return values

        for batch in _batches(plan.transformations_create, self.batch):
            self._create(
                Transformation,
                [
                    {"unit_id": unit_ids[v[T["unit_code"]]], "ref": v[T["ref"]], **transformation_values(v)}
                    for v in batch
                ],
            )

        def set_transformation(obj, v):
            for name, value in transformation_values(v).items():
                setattr(obj, name, value)
            obj.version += 1

        self._update(
            Transformation,
            plan.transformations_update,
            set_transformation,
            [*TRANSFORMATION_COLUMNS, "achievement_id", "transferee_id", "version"],
        )


def write_plan(plan: Plan, *, acting_user, reason: str, pipe: CopyPipe | None = None) -> None:
    Writer(plan, acting_user=acting_user, reason=reason, pipe=pipe).run()
