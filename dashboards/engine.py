"""The statistics engine: computes the snapshot of docs/metrics.md by SQL aggregation.

Every figure is an aggregate computed by the database; Python only assembles the statements.
The conditions come from the one definition of each rule in ``achievements.selectors``
(``stock_q``, ``effective_q``, ``signed_by_q``): they are compiled to SQL by the ORM and used as
``FILTER`` clauses of per-year conditional aggregates.

Two statements per grain fill the cells of a version:

- stock side: achievements grouped by (unit, cluster[, dim]) with, for every year Y, the count of
  stock achievements (``stock_q(Y)``), of convertible ones, and of stock achievements whose first
  effective contract was signed by 31 Dec Y (``signed_by_q(Y)``); the per-year columns are turned
  into one row per year ("unpivot") in the same statement.
- contract side: effective contracts (``effective_q``) grouped by achievement and year of signing
  (a contract counts in Y exactly when ``signed_in_q(Y)`` holds), then by (unit, cluster[, dim],
  year): contracts, amounts, local ones, and distinct achievements (``transformed``). On
  PostgreSQL one statement groups the contracts per (year, unit, cluster, trl, ip_type) and per
  (year, unit, cluster, mode) at once (``GROUPING SETS``, distinct achievements counted in each
  group), so the contracts are read and grouped once.

Visibility: a full recompute writes a new version and switches ``SnapshotState.version`` in the
same transaction; an incremental run replaces the affected cells of the current version in one
transaction. Both hold the row lock on ``SnapshotState`` so they never interleave. A run killed
half-way rolls back and leaves the previous snapshot in place.
"""

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear
from django.db.models.sql import Query
from django.utils import timezone

from achievements.models import Achievement, Transferee, Transformation, Unit
from achievements.selectors import effective_q, signed_by_q, stock_q

from . import current
from .catalogue import COLUMN_NAMES, COUNT_COLUMNS, MONEY_COLUMNS
from .models import DirtyCell, Grain, SnapshotState, StatCell, StatFailure
from .selectors import EARLIEST_YEAR

logger = logging.getLogger(__name__)

CELL_TABLE = StatCell._meta.db_table
ACHIEVEMENT_TABLE = Achievement._meta.db_table
UNIT_TABLE = Unit._meta.db_table
TRANSFORMATION_TABLE = Transformation._meta.db_table

# The key columns of a cell, then its figure columns as the metric catalogue declares them (each
# filled below: the stock pass and the contract pass produce one aliased column per figure).
_CELL_COLUMNS = ", ".join(
    ("version", "grain", "year", "unit_id", "unit_type", "region", "city", "cluster_id", "dim", *COLUMN_NAMES)
)
# Scratch tables of one build (temporary: private to the connection, gone with a rollback).
TMP_CONTRACTS = "stats_tmp_contracts"  # effective contracts per (achievement, year, mode)
TMP_STOCK = "stats_tmp_stock"  # stock figures per (unit, cluster, trl, ip_type), one column per year
TMP_FINE = "stats_tmp_fine"  # contract figures per (year, unit, cluster, trl, ip_type)
# Memory for sorts and hash aggregates of a build (PostgreSQL, SET LOCAL to the recompute's transaction).
WORK_MEM = "256MB"
# dim column of each grain in the scratch tables.
_DIM = {
    Grain.BASE: None,
    Grain.TRL: "CAST(g.trl AS VARCHAR(20))",
    Grain.IP_TYPE: "g.ip_type",
    Grain.MODE: "g.mode",
}


def current_year() -> int:
    return timezone.localdate().year


def clamp_year(year: int) -> int:
    """A year brought into the statistics' range, 1985 … this year (docs/metrics.md, "Dates everywhere").

    The database refuses dates outside it, but the engine never trusts that: a date that got in
    anyway (an old row, a constraint dropped by hand) is counted at the edge of the range instead
    of stretching every build over centuries."""
    return max(EARLIEST_YEAR, min(int(year), current_year()))


def _where_sql(model, q: Q) -> tuple[str, list]:
    """A Q of the model compiled to SQL on its own table name (no alias)."""
    query = Query(model)
    where = query.build_where(q)
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return sql, list(params)


def _queryset_sql(qs) -> tuple[str, list]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _years_sql(years: list[int]) -> str:
    return " UNION ALL ".join(f"SELECT {int(y)} AS y" for y in years)


def _in_sql(column: str, values: list) -> tuple[str, list]:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _cents() -> bool:
    """Sum amounts as integer cents in the scratch tables (PostgreSQL: exact, and bigint sums are
    much cheaper than numeric ones); elsewhere the decimal amounts are summed as they are."""
    return connection.vendor == "postgresql"


def _money(expression):
    """The contract-pass sum of an amount expression (in cents on PostgreSQL, see ``_cents``)."""
    if not _cents():
        return expression
    return Cast(ExpressionWrapper(expression * 100, output_field=DecimalField()), BigIntegerField())


def _money_sum(column: str, only: str = "") -> str:
    """SQL: the sum of a scratch money column (over the rows where ``only`` holds, if given), kept an
    integer of cents on PostgreSQL."""
    total = f"SUM({column}) FILTER (WHERE {only})" if only else f"SUM({column})"
    return f"CAST({total} AS BIGINT)" if _cents() else total


def _int_sum(column: str) -> str:
    """SQL: the sum of a count column as an integer (PostgreSQL's SUM of a bigint is a numeric, and
    numeric sums further on are much slower)."""
    return f"CAST(SUM({column}) AS BIGINT)"


def _execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _drop_scratch() -> None:
    for table in (TMP_CONTRACTS, TMP_STOCK, TMP_FINE):
        _execute(f"DROP TABLE IF EXISTS {table}")


def _create_scratch(table: str, select_sql: str, params: list) -> None:
    _execute(f"CREATE TEMPORARY TABLE {table} AS {select_sql}", params)
    if connection.vendor == "postgresql":
        _execute(f"ANALYZE {table}")  # temporary tables are never analysed automatically


def _sum_money(aggregate):
    return Cast(aggregate, BigIntegerField()) if _cents() else aggregate


def _scratch_contracts(unit_ids: list[int] | None) -> None:
    """One pass over the effective contracts: figures per (achievement, year of signing, mode).

    A contract counts in year Y exactly when ``signed_in_q(Y)`` holds, i.e. in the year of its
    ``signed_on``; ``first_on`` keeps the earliest date for ``signed_by_q``.
    """
    local = Q(transferee__is_local=True)
    contracts = (
        Transformation.objects.filter(effective_q())
        .annotate(
            year=Cast(ExtractYear("signed_on"), IntegerField()),  # PostgreSQL's EXTRACT is numeric
            unit_ref=F("achievement__unit_id"),
            cluster_ref=F("achievement__cluster_id"),
            trl=F("achievement__trl"),
            ip_type=F("achievement__ip_type"),
        )
        .order_by()
        .values("achievement_id", "year", "mode", "unit_ref", "cluster_ref", "trl", "ip_type")
        .annotate(
            n=Count("id"),
            n_local=Count("id", filter=local),
            amount_sum=_sum_money(Sum(_money(F("amount")))),
            received_sum=_sum_money(Sum(_money(Coalesce("received", Value(Decimal("0.00")))))),
            local_amount_sum=Coalesce(
                _sum_money(Sum(_money(F("amount")), filter=local)),
                Value(0 if _cents() else Decimal("0.00")),
            ),
            first_on=Min("signed_on"),
        )
    )
    if unit_ids is not None:
        contracts = contracts.filter(unit_id__in=unit_ids)
    _create_scratch(TMP_CONTRACTS, *_queryset_sql(contracts))


def _grouping_sets() -> bool:
    """PostgreSQL groups the contracts once with GROUPING SETS (``_scratch_grouped``); elsewhere
    they go through the (achievement, year, mode) scratch table and are regrouped from it."""
    return connection.vendor == "postgresql"


def _effective_contracts(unit_ids: list[int] | None):
    contracts = Transformation.objects.filter(effective_q())
    if unit_ids is not None:
        contracts = contracts.filter(unit_id__in=unit_ids)
    return contracts.order_by()


def _first_signed_sql(unit_ids: list[int] | None) -> tuple[str, list]:
    """SQL: (achievement_id, signed_on) of the first effective contract of each achievement."""
    if not _grouping_sets():
        return (
            f"SELECT achievement_id, MIN(first_on) AS signed_on FROM {TMP_CONTRACTS} GROUP BY achievement_id",
            [],
        )
    first = _effective_contracts(unit_ids).values("achievement_id").annotate(first_on=Min("signed_on"))
    sql, params = _queryset_sql(first)
    return f"SELECT f.achievement_id, f.first_on AS signed_on FROM ({sql}) f", params


def _scratch_grouped(years: list[int], unit_ids: list[int] | None) -> None:
    """PostgreSQL: one pass over the effective contracts signed in ``years`` into the fine scratch
    table, grouped both per (year, unit, cluster, trl, ip_type) (``by_mode = 0``) and per
    (year, unit, cluster, mode) (``by_mode = 1``); transformed = distinct achievements of the group.

    A contract counts in year Y exactly when ``signed_in_q(Y)`` holds, i.e. in the year of its
    ``signed_on``.
    """
    contracts = (
        _effective_contracts(unit_ids)
        .filter(
            signed_on__gte=datetime.date(min(years), 1, 1), signed_on__lte=datetime.date(max(years), 12, 31)
        )
        .annotate(
            year=Cast(ExtractYear("signed_on"), IntegerField()),
            unit_ref=F("achievement__unit_id"),
            cluster_ref=F("achievement__cluster_id"),
            trl=F("achievement__trl"),
            ip_type=F("achievement__ip_type"),
            local=F("transferee__is_local"),
            amount_c=_money(F("amount")),
            received_c=_money(Coalesce("received", Value(Decimal("0.00")))),
        )
        .values(
            "achievement_id",
            "year",
            "unit_ref",
            "cluster_ref",
            "trl",
            "ip_type",
            "mode",
            "local",
            "amount_c",
            "received_c",
        )
    )
    sql, params = _queryset_sql(contracts)
    grouped = (
        "SELECT c.year, c.unit_ref, c.cluster_ref, c.trl, c.ip_type, c.mode, 1 - GROUPING(c.mode) AS by_mode, "
        "COUNT(DISTINCT c.achievement_id) AS transformed, COUNT(*) AS n, COUNT(*) FILTER (WHERE c.local) AS n_local, "
        f"{_money_sum('c.amount_c')} AS amount_sum, {_money_sum('c.received_c')} AS received_sum, "
        f"COALESCE({_money_sum('c.amount_c', 'c.local')}, 0) AS local_amount_sum "
        f"FROM ({sql}) c GROUP BY GROUPING SETS ((c.year, c.unit_ref, c.cluster_ref, c.trl, c.ip_type), "
        "(c.year, c.unit_ref, c.cluster_ref, c.mode))"
    )
    _create_scratch(TMP_FINE, grouped, params)


def _scratch_stock(years: list[int], unit_ids: list[int] | None) -> None:
    """One pass over the achievements: for every year, stock, convertible stock, and stock
    transformed by 31 Dec Y, per (unit, cluster, trl, ip_type)."""
    aggregates, params = [], []
    for y in years:
        stock_sql, stock_params = _where_sql(Achievement, stock_q(y))
        convertible_sql, convertible_params = _where_sql(Achievement, stock_q(y) & Q(convertible=True))
        by_sql, by_params = _where_sql(Transformation, signed_by_q(y))
        aggregates += [
            f"COUNT(*) FILTER (WHERE {stock_sql}) AS a_{y}",
            f"COUNT(*) FILTER (WHERE {convertible_sql}) AS c_{y}",
            f"COUNT(*) FILTER (WHERE ({stock_sql}) AND ({by_sql})) AS t_{y}",
        ]
        params += stock_params + convertible_params + stock_params + by_params
    # The first effective contract of each achievement, aliased as the contract table so that
    # signed_by_q(Y) compiles onto it unchanged.
    first_signed, first_params = _first_signed_sql(unit_ids)
    params += first_params
    where = [f'"{ACHIEVEMENT_TABLE}"."registered_on" <= %s']
    params.append(datetime.date(max(years), 12, 31))
    if unit_ids is not None:
        sql, in_params = _in_sql(f'"{ACHIEVEMENT_TABLE}"."unit_id"', unit_ids)
        where.append(sql)
        params += in_params
    a = f'"{ACHIEVEMENT_TABLE}"'
    sql = (
        f"SELECT {a}.unit_id AS unit_id, {a}.cluster_id AS cluster_id, {a}.trl AS trl, {a}.ip_type AS ip_type, "
        + ", ".join(aggregates)
        + f' FROM {a} LEFT OUTER JOIN ({first_signed}) "{TRANSFORMATION_TABLE}" '
        f'ON "{TRANSFORMATION_TABLE}".achievement_id = {a}.id '
        f"WHERE {' AND '.join(where)} GROUP BY {a}.unit_id, {a}.cluster_id, {a}.trl, {a}.ip_type"
    )
    _create_scratch(TMP_STOCK, sql, params)


def _scratch_fine(years: list[int]) -> None:
    """Contract figures per (year, unit, cluster, trl, ip_type); transformed = distinct achievements."""
    per_achievement = (
        f"SELECT achievement_id, year, unit_ref, cluster_ref, trl, ip_type, SUM(n) AS n, SUM(n_local) AS n_local, "
        f"{_money_sum('amount_sum')} AS amount_sum, {_money_sum('received_sum')} AS received_sum, "
        f"{_money_sum('local_amount_sum')} AS local_amount_sum FROM {TMP_CONTRACTS} "
        f"WHERE year >= %s AND year <= %s GROUP BY achievement_id, year, unit_ref, cluster_ref, trl, ip_type"
    )
    sql = (
        f"SELECT year, unit_ref, cluster_ref, trl, ip_type, COUNT(*) AS transformed, SUM(n) AS n, "
        f"SUM(n_local) AS n_local, {_money_sum('amount_sum')} AS amount_sum, "
        f"{_money_sum('received_sum')} AS received_sum, "
        f"{_money_sum('local_amount_sum')} AS local_amount_sum FROM ({per_achievement}) x "
        f"GROUP BY year, unit_ref, cluster_ref, trl, ip_type"
    )
    _create_scratch(TMP_FINE, sql, [min(years), max(years)])


def _stock_rows(grain: str, years: list[int]) -> str:
    """Stock figures of a grain, one row per (year, unit, cluster, dim), from the stock scratch table."""
    dim = _DIM[grain]
    sums = ", ".join(f"{_int_sum(f'g.{m}_{y}')} AS {m}_{y}" for y in years for m in ("a", "c", "t"))
    grouped = (
        f"SELECT g.unit_id, g.cluster_id, {dim or chr(39) * 2} AS dim, {sums} FROM {TMP_STOCK} g "
        f"GROUP BY g.unit_id, g.cluster_id{', ' + dim if dim else ''}"
    )

    def pick(prefix: str) -> str:
        return "CASE yrs.y " + " ".join(f"WHEN {y} THEN s.{prefix}_{y}" for y in years) + " END"

    unpivot = (
        f"SELECT yrs.y AS year, s.unit_id, s.cluster_id, s.dim, {pick('a')} AS achievements, "
        f"{pick('c')} AS convertible, {pick('t')} AS transformed_by "
        f"FROM ({grouped}) s CROSS JOIN ({_years_sql(years)}) yrs"
    )
    figures = _figure_list({name: f"x.{name}" for name in ("achievements", "convertible", "transformed_by")})
    return f"SELECT x.year, x.unit_id, x.cluster_id, x.dim, {figures} FROM ({unpivot}) x WHERE x.achievements > 0"


def _figure_list(produced: dict[str, str]) -> str:
    """SQL: every figure column of a cell in the catalogue's order, as ``produced`` (column: expression)
    gives it and 0 where this pass does not produce it, so the stock and contract rows line up."""
    unknown = set(produced) - set(COLUMN_NAMES)
    if unknown:
        raise ValueError(f"not a snapshot column: {sorted(unknown)}")
    return ", ".join(f"{produced.get(name, '0')} AS {name}" for name in COLUMN_NAMES)


def _contract_rows(grain: str) -> str:
    """Contract figures of a grain, one row per (year, unit, cluster, dim)."""
    dim = _DIM[grain]
    if _grouping_sets() and grain == Grain.MODE:  # already one row per (year, unit, cluster, mode)
        figures = _figure_list(
            {
                "transformed": "g.transformed",
                "contracts": "g.n",
                "local_contracts": "g.n_local",
                "amount": "g.amount_sum",
                "received": "g.received_sum",
                "local_amount": "g.local_amount_sum",
            }
        )
        return (
            "SELECT g.year AS year, g.unit_ref AS unit_id, g.cluster_ref AS cluster_id, g.mode AS dim, "
            f"{figures} FROM {TMP_FINE} g WHERE g.by_mode = 1"
        )
    if _grouping_sets():  # both groupings are in the fine scratch table
        source, transformed = f"{TMP_FINE} g", _int_sum("g.transformed")
        where = "WHERE g.by_mode = 0"
    elif grain == Grain.MODE:  # distinct achievements per mode: the (achievement, year, mode) groups
        source, transformed, where = f"{TMP_CONTRACTS} g", "COUNT(*)", "WHERE g.year >= %s AND g.year <= %s"
    else:
        source, transformed, where = f"{TMP_FINE} g", _int_sum("g.transformed"), ""
    figures = _figure_list(
        {
            "transformed": transformed,
            "contracts": _int_sum("g.n"),
            "local_contracts": _int_sum("g.n_local"),
            "amount": _money_sum("g.amount_sum"),
            "received": _money_sum("g.received_sum"),
            "local_amount": _money_sum("g.local_amount_sum"),
        }
    )
    return (
        f"SELECT g.year AS year, g.unit_ref AS unit_id, g.cluster_ref AS cluster_id, {dim or chr(39) * 2} AS dim, "
        f"{figures} FROM {source} {where} GROUP BY g.year, g.unit_ref, g.cluster_ref{', ' + dim if dim else ''}"
    )


def _insert_cells(*, version: int, grain: str, years: list[int]) -> None:
    """One row per cell of the grain: stock and contract figures side by side."""
    counts, amounts = COUNT_COLUMNS, MONEY_COLUMNS
    if grain == Grain.MODE:  # one row per (year, unit, cluster, mode) already: nothing to merge
        rows, params = _contract_rows(grain), [] if _grouping_sets() else [min(years), max(years)]
        values = [f"r.{name}" for name in counts]
        values += [f"CAST(r.{name} AS NUMERIC) / 100" if _cents() else f"r.{name}" for name in amounts]
    else:  # the stock row and the contract row of a cell merged into one (before the unit is joined)
        sums = ", ".join(f"SUM(x.{name}) AS {name}" for name in counts + amounts)
        rows = (
            f"SELECT x.year, x.unit_id, x.cluster_id, x.dim, {sums} "
            f"FROM ({_stock_rows(grain, years)} UNION ALL {_contract_rows(grain)}) x "
            "GROUP BY x.year, x.unit_id, x.cluster_id, x.dim"
        )
        params = []
        values = [f"r.{name}" for name in counts]
        values += [f"r.{name} / 100" if _cents() else f"r.{name}" for name in amounts]
    values = ", ".join(values)
    _execute(
        f"INSERT INTO {CELL_TABLE} ({_CELL_COLUMNS}) "
        f"SELECT %s, %s, r.year, r.unit_id, u.type, u.region, SUBSTR(u.region, 1, 4) || '00', r.cluster_id, r.dim, "
        + values
        + f' FROM ({rows}) r INNER JOIN "{UNIT_TABLE}" u ON u.id = r.unit_id',
        [version, grain, *params],
    )


def build_cells(*, version: int, years: Iterable[int], unit_ids: Iterable[int] | None = None) -> None:
    """Insert the cells of ``years`` (for ``unit_ids``, or every unit) into ``version``.

    Two passes over the registry (contracts, then achievements) into scratch tables; every grain
    is then a small aggregate over those.
    """
    years = sorted(set(years))
    if not years:
        return
    unit_ids = sorted(set(unit_ids)) if unit_ids is not None else None
    if unit_ids is not None and not unit_ids:
        return
    if connection.vendor == "postgresql":
        # For this transaction only: the groupings fit in memory (hash aggregates, no sort spilled
        # to disk), and the wide FILTER aggregates are not worth compiling.
        _execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        _execute("SET LOCAL jit = off")
    _drop_scratch()
    if _grouping_sets():
        _scratch_grouped(years, unit_ids)
    else:
        _scratch_contracts(unit_ids)
        _scratch_fine(years)
    _scratch_stock(years, unit_ids)
    for grain in (Grain.BASE, Grain.TRL, Grain.IP_TYPE, Grain.MODE):
        _insert_cells(version=version, grain=grain, years=years)
    _drop_scratch()


def record_year_range() -> tuple[int, int] | None:
    """(first year with a record, current year), or None for an empty registry."""
    first_registered = Achievement.objects.aggregate(m=Min("registered_on"))["m"]
    first_signed = Transformation.objects.filter(effective_q()).aggregate(m=Min("signed_on"))["m"]
    firsts = [d.year for d in (first_registered, first_signed) if d]
    if not firsts:
        return None
    return clamp_year(min(firsts)), current_year()


def cleanup_old_versions() -> int:
    """Delete the cells of every version but the current and the one before it.

    The one before stays until the next full run, so a reader that read the pointer just before a
    switch still finds its cells.
    """
    state = SnapshotState.objects.filter(pk=1).first()
    if state is None or state.version is None:
        return 0
    keep = [state.version]
    previous = StatCell.objects.filter(version__lt=state.version).aggregate(m=Max("version"))["m"]
    if previous is not None:
        keep.append(previous)
    with connection.cursor() as cursor:
        sql, params = _in_sql("version", keep)
        cursor.execute(f"DELETE FROM {CELL_TABLE} WHERE NOT ({sql})", params)
        return cursor.rowcount


def recompute_full() -> dict:
    """Recompute every year into a new version and switch to it, all in one transaction."""
    with transaction.atomic():
        state = current.locked()
        dirty_ids = list(DirtyCell.objects.values_list("id", flat=True))
        top = StatCell.objects.aggregate(m=Max("version"))["m"] or 0
        version = max(top, state.version or 0) + 1
        span = record_year_range()
        failures = {}
        if span is not None:
            failures = _build_contained(version=version, years=range(span[0], span[1] + 1), unit_ids=None)
            if failures:
                # The units that could not be built keep the figures they had, and stay pending.
                _copy_cells(from_version=state.version, to_version=version, unit_ids=sorted(failures))
        current.switch(
            state,
            version=version,
            first_year=span[0] if span else None,
            last_year=span[1] if span else current_year(),
        )
        DirtyCell.objects.filter(id__in=dirty_ids).delete()
        mark_dirty(unit_ids=failures, years=[])
        _record_failures(failures, built=None)
    removed = cleanup_old_versions()
    logger.info("statistics: full recompute into version %s (removed %s old cells)", version, removed)
    result = {"kind": "full", "version": version, "revision": state.revision}
    if failures:
        result["failed_units"] = sorted(failures)
    return result


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _build_contained(
    *, version: int, years: Iterable[int], unit_ids: list[int] | None, replace_from: int | None = None
) -> dict[int, str]:
    """Build the cells of ``unit_ids`` (None: every unit) for ``years`` into ``version``, so that one
    unit's failure never blocks the others' figures.

    All the units are built together first, in a savepoint; if that fails, each unit is built in a
    savepoint of its own and the units that fail are left out (nothing of theirs is changed).
    ``replace_from``: first delete the units' cells of ``version`` from that year on. Returns
    ``{unit id: error}`` of the units left out; every failure is logged.
    """
    years = list(years)

    def attempt(ids: list[int] | None) -> None:
        with transaction.atomic():  # a savepoint of the run's transaction
            if replace_from is not None:
                delete_units, params = _in_sql("unit_id", ids)
                _execute(
                    f"DELETE FROM {CELL_TABLE} WHERE version = %s AND year >= %s AND {delete_units}",
                    [version, replace_from, *params],
                )
            build_cells(version=version, years=years, unit_ids=ids)

    try:
        attempt(unit_ids)
        return {}
    except Exception as exc:
        if unit_ids is not None and len(unit_ids) == 1:
            logger.exception("statistics: the figures of unit %s could not be built", unit_ids[0])
            return {unit_ids[0]: _describe(exc)}
        logger.warning("statistics: a build of several units failed (%s); building them one by one", exc)
    if unit_ids is None:
        unit_ids = list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    failures = {}
    for unit_id in unit_ids:
        try:
            attempt([unit_id])
        except Exception as exc:
            logger.exception("statistics: the figures of unit %s could not be built", unit_id)
            failures[unit_id] = _describe(exc)
    return failures


def _copy_cells(*, from_version: int | None, to_version: int, unit_ids: list[int]) -> None:
    """Copy the units' cells of one version into another (a failed unit keeps its figures)."""
    if from_version is None or not unit_ids:
        return
    in_units, params = _in_sql("unit_id", unit_ids)
    columns = _CELL_COLUMNS.split(", ", 1)[1]  # every column but the version
    _execute(
        f"INSERT INTO {CELL_TABLE} ({_CELL_COLUMNS}) SELECT %s, {columns} FROM {CELL_TABLE} "
        f"WHERE version = %s AND {in_units}",
        [to_version, from_version, *params],
    )


def _record_failures(failures: dict[int, str], *, built: Iterable[int] | None) -> None:
    """Remember the units that failed (attempts counted); forget those built (None: every other unit)."""
    forget = StatFailure.objects.exclude(unit_id__in=list(failures))
    if built is not None:
        forget = forget.filter(unit_id__in=list(built))
    forget.delete()
    now = timezone.now()
    for unit_id, error in failures.items():
        updated = StatFailure.objects.filter(unit_id=unit_id).update(
            error=error, failed_at=now, attempts=F("attempts") + 1
        )
        if not updated:
            StatFailure.objects.create(unit_id=unit_id, error=error, failed_at=now)


def _affected_years(dirty: list[tuple[int, int | None]], first_year: int) -> dict[int, int]:
    """For each dirty unit, the first year whose figures may have changed (it and every later year).

    A change in year Y moves stock-based figures of every later year (conversion rate of Y..now,
    yoy of Y+1), hence "Y onwards". An achievement's change is announced with its registration
    and withdrawal years, but its contracts may be older than its registration (cluster, TRL and IP
    type classify its contracts too): the first year also reaches back to those contracts.
    """
    start: dict[int, int] = {}
    for unit_id, year in dirty:
        y = clamp_year(first_year if year is None else year)
        start[unit_id] = min(start.get(unit_id, y), y)
    # The earliest contract of an achievement registered in a unit's start year or later, per unit.
    reaches_back = Q()
    for unit_id, y in start.items():
        reaches_back |= Q(unit_id=unit_id, achievement__registered_on__gte=datetime.date(y, 1, 1))
    earliest = (
        Transformation.objects.filter(reaches_back)
        .order_by()
        .values("unit_id")
        .annotate(m=Min("signed_on"))
        .values_list("unit_id", "m")
    )
    for unit_id, first_signed in earliest:
        if first_signed and first_signed.year < start[unit_id]:
            start[unit_id] = clamp_year(first_signed.year)
    return start


def recompute_incremental() -> dict:
    """Recompute the cells of the dirty (unit, year) pairs in the current version, in one transaction.

    Falls back to a full recompute when there is no snapshot yet or the calendar year has moved on.
    """
    with transaction.atomic():
        state = current.locked()
        dirty = list(DirtyCell.objects.values_list("id", "unit_id", "year"))
        if not dirty:
            return {"kind": "none", "version": state.version, "revision": state.revision}
        if state.version is None or state.last_year != current_year() or state.first_year is None:
            needs_full = True
        else:
            needs_full = False
            starts = _affected_years([(u, y) for _, u, y in dirty], state.first_year)
            first_year = min(state.first_year, *starts.values())
            by_start: dict[int, list[int]] = {}
            for unit_id, start in starts.items():
                by_start.setdefault(start, []).append(unit_id)
            failures: dict[int, str] = {}
            for start, unit_ids in sorted(by_start.items()):
                failures |= _build_contained(
                    version=state.version,
                    years=range(start, state.last_year + 1),
                    unit_ids=sorted(unit_ids),
                    replace_from=start,
                )
            current.switch(state, first_year=first_year)
            # A unit that failed keeps its dirty rows: every later run (the sweep too) tries it again.
            DirtyCell.objects.filter(id__in=[row[0] for row in dirty if row[1] not in failures]).delete()
            units = sorted(u for u in starts if u not in failures)
            _record_failures(failures, built=units)
    if needs_full:
        return recompute_full()
    logger.info("statistics: incremental recompute of %s unit(s)", len(units))
    result = {"kind": "incremental", "version": state.version, "revision": state.revision, "units": units}
    if failures:
        result["failed_units"] = sorted(failures)
    return result


def recompute_needed() -> str | None:
    """What run would bring the snapshot up to the records: ``"full"`` when there is no snapshot,
    the calendar year has moved on, or records were written after it without being marked dirty
    (bulk writes such as the demo seeder's); ``"incremental"`` when dirty rows wait; ``None`` when
    the snapshot is current."""
    state = SnapshotState.objects.filter(pk=1).first()
    if state is None or state.version is None or state.computed_at is None or state.last_year != current_year():
        return "full"
    if DirtyCell.objects.exists():
        return "incremental"
    for model in (Unit, Achievement, Transformation, Transferee):
        if model.objects.filter(updated_at__gt=state.computed_at).exists():
            return "full"
    return None


def recompute_if_needed() -> dict:
    """Recompute only what ``recompute_needed`` says (``make run`` after ``seed_demo``, whose
    reports seeder computed the snapshot already: not a second full run)."""
    needed = recompute_needed()
    if needed == "full":
        return recompute_full()
    if needed == "incremental":
        return recompute_incremental()
    state = SnapshotState.objects.get(pk=1)
    return {"kind": "none", "version": state.version, "revision": state.revision}


def mark_dirty(*, unit_ids: Iterable[int], years: Iterable[int]) -> int:
    """Record changed (unit, year) pairs durably (empty ``years``: every year of those units).

    Years are brought into 1985 … this year (``clamp_year``)."""
    years = sorted({clamp_year(y) for y in years}) or [None]
    rows = [DirtyCell(unit_id=u, year=y) for u in sorted(set(unit_ids)) if u is not None for y in years]
    DirtyCell.objects.bulk_create(rows)
    return len(rows)
