"""Reads of the statistics snapshot: the one place the API and the dashboard pages get figures from.

Every function answers from the snapshot the statistics job last committed (``dashboards.engine``),
with one aggregate query over ``StatCell`` per call. Figures follow docs/metrics.md: counts
as integers, amounts as decimal strings with 2 places, rates rounded half-up to 4 places and
``None`` when the denominator is 0.
"""

import datetime
import decimal
import hashlib
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.db.models import Count, F, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, ExtractYear
from django.db.models.sql import Query
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements.choices import IPType, TransformationMode, UnitType
from achievements.models import Achievement, Cluster, Transformation, Unit
from achievements.selectors import effective_q, signed_by_q, signed_in_q, stock_q, year_end
from core.validators import LIAONING_CITIES, normalize_credit_code, validate_region_code

from . import catalogue, current
from .catalogue import METRIC_DEFINITIONS, Figures
from .models import DirtyCell, Grain, RecomputeSchedule, SnapshotState, StatCell, StatFailure

__all__ = [
    "BREAKDOWN_DIMENSIONS",
    "METRIC_DEFINITIONS",
    "Scope",
    "ScopeError",
    "snapshot_marker",
    "snapshot_status",
    "stats_breakdown",
    "stats_summary",
    "stats_timeseries",
]

EARLIEST_YEAR = 1985


@dataclass(frozen=True)
class Scope:
    """A statistics scope: the whole province (all None) or any combination of the four filters."""

    unit: str | None = None  # unified social credit code
    unit_type: str | None = None
    region: str | None = None  # 6-digit division code; a city's code also matches its districts
    cluster: str | None = None  # cluster code, e.g. "A01"

    def as_dict(self) -> dict:
        return asdict(self)


class ScopeError(ValueError):
    """A filter value that names nothing; ``param`` is the query parameter at fault."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


BREAKDOWN_DIMENSIONS = {
    # by: (grain, group-by fields of StatCell, the cell column that identifies a group)
    "unit": (Grain.BASE, ("unit__code", "unit__name"), "unit_id"),
    "unit_type": (Grain.BASE, ("unit_type",), "unit_type"),
    "region": (Grain.BASE, ("city",), "city"),
    "cluster": (Grain.BASE, ("cluster__code", "cluster__name"), "cluster_id"),
    "mode": (Grain.MODE, ("dim",), "dim"),
    "trl": (Grain.TRL, ("dim",), "dim"),
    "ip_type": (Grain.IP_TYPE, ("dim",), "dim"),
}


def region_prefix(region: str) -> str:
    """The code prefix a region filter matches: a city (xxxx00) its districts, a province (xx0000) its cities."""
    if region.endswith("0000"):
        return region[:2]
    if region.endswith("00"):
        return region[:4]
    return region


def _scope_lookups(scope: Scope) -> dict:
    """The scope as lookups on ``StatCell`` fields; raises ``ScopeError`` for a value that names nothing."""
    lookups = {}
    if scope.unit:
        unit_id = (
            Unit.objects.filter(code=normalize_credit_code(scope.unit)).values_list("id", flat=True).first()
        )
        if unit_id is None:
            raise ScopeError("unit", _("未找到统一社会信用代码为“%(value)s”的单位。") % {"value": scope.unit})
        lookups["unit_id"] = unit_id
    if scope.unit_type:
        if scope.unit_type not in UnitType.values:
            raise ScopeError("unit_type", _("单位类型“%(value)s”无效。") % {"value": scope.unit_type})
        lookups["unit_type"] = scope.unit_type
    if scope.region:
        try:
            validate_region_code(scope.region)
        except ValidationError as exc:
            raise ScopeError("region", " ".join(exc.messages)) from exc
        lookups["region__startswith"] = region_prefix(scope.region)
    if scope.cluster:
        cluster_id = (
            Cluster.objects.filter(code=scope.cluster.strip().upper()).values_list("id", flat=True).first()
        )
        if cluster_id is None:
            raise ScopeError("cluster", _("未找到代码为“%(value)s”的产业集群。") % {"value": scope.cluster})
        lookups["cluster_id"] = cluster_id
    return lookups


def scope_q(scope: Scope) -> Q:
    """The filter on ``StatCell`` for a scope; raises ``ScopeError`` for a value that names nothing."""
    return Q(**_scope_lookups(scope))


# A cell's scope fields as fields of an achievement (the unit's type and region, the achievement's cluster).
_RECORD_FIELDS = {
    "unit_id": "unit_id",
    "unit_type": "unit__type",
    "region__startswith": "unit__region__startswith",
    "cluster_id": "cluster_id",
}


def records_scope_q(scope: Scope, prefix: str = "") -> Q:
    """The same scope as ``scope_q`` on the records: achievements (``prefix`` "achievement__" for
    their contracts, which count with their achievement's unit and cluster as in the snapshot)."""
    return Q(**{f"{prefix}{_RECORD_FIELDS[name]}": value for name, value in _scope_lookups(scope).items()})


# Figures of a snapshot revision never change: answers are cached per revision (a new revision,
# full or incremental, makes new keys; old ones simply expire).
CACHE_SECONDS = 3600


# The pointer to the current snapshot (re-read at most once a second per process): ``current``.
_state = current.state


def _cached(state: SnapshotState | None, key: str, compute):
    if state is None or state.version is None:
        return compute()
    stamp = state.computed_at.timestamp() if state.computed_at else 0
    digest = hashlib.sha256(f"{state.version}:{state.revision}:{stamp}:{key}".encode()).hexdigest()
    full_key = f"stats:{digest}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, CACHE_SECONDS)
    return value


def snapshot_marker() -> tuple[int | None, datetime.datetime | None]:
    """(revision, computed_at) of the current snapshot: what an ETag needs."""
    state = _state()
    if state is None or state.version is None:
        return None, None
    return state.revision, _computed_at(state)


class _CellFigures(Figures):
    """The figures of one aggregated row of cells (see ``_aggregates``) for the catalogue's formulas.

    ``prev``: the Y−1 row (else the row's ``x_prev_*`` sums); ``same``: the same-unit sums
    ``{column: (Y, Y−1)}`` of the row's group (see ``_same_unit_sums``)."""

    def __init__(self, row: dict, prev: dict | None = None, same: dict | None = None):
        self.row, self.prev, self.same = row, prev, same or {}

    def current(self, column: str):
        return self.row.get(f"x_{column}") or 0

    def previous(self, column: str):
        if self.prev is not None:
            return self.prev.get(f"x_{column}") or 0
        return self.row.get(f"x_prev_{column}") or 0

    def distinct_units(self, column: str) -> int:
        return self.row.get(f"x_units_{column}") or 0

    def same_units(self, column: str) -> tuple:
        return self.same.get(column, (0, 0))


def _aggregates(current: Q, previous: Q | None) -> dict:
    """Aggregates over cells, named ``x_<column>`` (so they never shadow a cell column): the sums
    the catalogue's metrics read, their distinct-unit counts, and (``previous``) the Y−1 sums."""
    aggregates = {f"x_{name}": Sum(name, filter=current) for name in catalogue.summed_columns()}
    for column in sorted(set(catalogue.distinct_unit_metrics().values())):
        aggregates[f"x_units_{column}"] = Count(
            "unit_id", distinct=True, filter=current & Q(**{f"{column}__gt": 0})
        )
    if previous is not None:
        for name in catalogue.previous_columns():
            aggregates[f"x_prev_{name}"] = Sum(name, filter=previous)
    return aggregates


def _figures(
    row: dict, prev: dict | None = None, same: dict | None = None, *, names=catalogue.METRICS
) -> dict:
    """The catalogue's figures (``names``, in catalogue order) from summed cells."""
    figures = _CellFigures(row, prev, same)
    return {name: catalogue.report(catalogue.metric(name), figures) for name in names}


_FLOAT_CONTEXT = decimal.Context(prec=15)  # as Django reads SQLite's floating-point sums of decimals


def _as_decimal(value) -> Decimal:
    if isinstance(value, float):
        return _FLOAT_CONTEXT.create_decimal_from_float(value).quantize(Decimal("0.01"))
    return Decimal(value or 0)


def _same_unit_sums(cells, keys: tuple[str, ...] = ()) -> dict[tuple, dict]:
    """Same-unit growth sums: ``{(key values..., Y): {column: (sum in Y, sum in Y−1)}}``.

    Within each group of ``keys`` (cell columns, e.g. ``("cluster_id",)``; none: the whole scope)
    and each year Y of ``cells``, the sums run over only the units that have contracts in Y **and**
    in Y−1 in that group. One statement, one pass over the cells: the cells summed per (group, year,
    unit), each row paired with the same unit's row of the year before (a window, no self-join),
    kept where both years have contracts, summed per (group, year).
    A null key (no cluster) is read as 0.
    """
    columns = catalogue.same_unit_columns()
    if not columns:
        return {}
    key_exprs = {}
    for i, key in enumerate(keys):
        nullable = StatCell._meta.get_field(key).null
        key_exprs[f"k{i}"] = Coalesce(F(key), Value(0)) if nullable else F(key)
    per_unit = (
        cells.annotate(**key_exprs)
        .values(*key_exprs, "year", "unit_id")
        .annotate(su_n=Sum(catalogue.CONTRACTS_COLUMN), **{f"su_{column}": Sum(column) for column in columns})
        .order_by()
    )
    sql, params = per_unit.query.sql_with_params()
    # Each (group, unit)'s rows in year order: the previous row is its year before when its year is Y−1.
    partition = ", ".join(f"t.{k}" for k in (*key_exprs, "unit_id"))
    lags = ", ".join(
        [
            "LAG(t.year) OVER w AS p_year",
            "LAG(t.su_n) OVER w AS p_n",
            *(f"LAG(t.su_{c}) OVER w AS p_{c}" for c in columns),
        ]
    )
    group = ", ".join([*(f"x.{k}" for k in key_exprs), "x.year"])
    sums = ", ".join(f"SUM(x.su_{column}), SUM(x.p_{column})" for column in columns)
    statement = (
        f"SELECT {group}, {sums} FROM (SELECT t.*, {lags} FROM ({sql}) t "
        f"WINDOW w AS (PARTITION BY {partition} ORDER BY t.year)) x "
        f"WHERE x.p_year = x.year - 1 AND x.su_n > 0 AND x.p_n > 0 GROUP BY {group}"
    )
    money = set(catalogue.MONEY_COLUMNS)
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for row in cursor.fetchall():
            group_values, values = tuple(row[: len(key_exprs) + 1]), row[len(key_exprs) + 1 :]
            group_values = (*group_values[:-1], int(group_values[-1]))
            figures = {}
            for n, column in enumerate(columns):
                now, before = values[2 * n], values[2 * n + 1]
                convert = _as_decimal if column in money else (lambda v: int(v or 0))
                figures[column] = (convert(now), convert(before))
            result[group_values] = figures
    return result


def _computed_at(state: SnapshotState | None) -> datetime.datetime | None:
    return timezone.localtime(state.computed_at) if state and state.computed_at else None


# ---------------------------------------------------------------- year to date (docs/metrics.md)
#
# A year-to-date figure of year Y counts only up to a cut-off: the month and day of ``as_of`` in Y
# (``achievements.selectors.year_end(Y, as_of)``), and its growth compares with 1 Jan … the same
# month and day of Y−1. The snapshot holds whole years only, so these figures are computed from the
# records with the same rules (``stock_q``, ``effective_q``, ``signed_in_q``, ``signed_by_q``, each
# cut at the month and day), into cells shaped like the snapshot's (year × unit [× group], the
# snapshot's columns); the catalogue's formulas then read them exactly as they read the snapshot.
# One aggregate query per side (achievements, contracts) per answer, cached per snapshot revision.

PERIODS = ("year", "ytd")  # the whole calendar year (the snapshot), or year to date


def to_date_cutoff(year: int, as_of: datetime.date) -> datetime.date:
    """The last day a year-to-date figure of ``year`` counts: ``as_of``'s month and day in ``year``
    (29 Feb in a common year: 28 Feb). A cut-off after today counts nothing yet: ``ScopeError``."""
    end = year_end(year, as_of)
    today = timezone.localdate()
    if end > today:
        raise ScopeError(
            "as_of",
            _("as_of 的月日用于所选年份，得到的截止日期 %(date)s 晚于今天（%(today)s）。")
            % {"date": end.isoformat(), "today": today.isoformat()},
        )
    return end


ACHIEVEMENT_TABLE = Achievement._meta.db_table
TRANSFORMATION_TABLE = Transformation._meta.db_table


def _compiled(model, q: Q) -> tuple[str, list]:
    """A Q of ``model`` compiled to SQL on the model's table name (no alias)."""
    query = Query(model)
    sql, params = query.build_where(q).as_sql(query.get_compiler(connection=connection), connection)
    return sql, list(params)


def _stock_columns(year: int, until: datetime.date) -> dict:
    """The snapshot's stock-side columns of ``year`` cut at ``until``: (condition on the achievement
    table, condition on its first effective contract or None) per column, from the one definition
    of each rule."""
    stock = stock_q(year, until=until)
    return {
        "achievements": (stock, None),
        "convertible": (stock & Q(convertible=True), None),
        "transformed_by": (stock, signed_by_q(year, until=until)),
    }


def _stock_sql(*, years: list[int], until: datetime.date, scope: Scope, groups: tuple) -> tuple[str, list]:
    """SQL: the stock columns of every year in ``years`` per (unit[, group]), one pass over the
    achievements of ``scope`` left-joined to each one's first effective contract (as the engine's
    stock pass: the achievements and the first contracts stand under their tables' names, so the
    rules compile onto them unchanged)."""
    achievements = (
        Achievement.objects.filter(records_scope_q(scope), registered_on__lte=year_end(max(years), until))
        .order_by()
        .values("id", "unit_id", *groups, "registered_on", "withdrawn_on", "convertible")
    )
    achievements_sql, params = achievements.query.sql_with_params()
    params = list(params)
    first = (
        Transformation.objects.filter(effective_q())
        .order_by()
        .values("achievement_id")
        .annotate(first_on=Min("signed_on"))
    )
    first_sql, first_params = first.query.sql_with_params()
    aggregates, aggregate_params = [], []
    for y in years:
        for column, (on_achievement, on_first) in _stock_columns(y, until).items():
            condition, condition_params = _compiled(Achievement, on_achievement)
            if on_first is not None:
                first_condition, first_condition_params = _compiled(Transformation, on_first)
                condition = f"({condition}) AND ({first_condition})"
                condition_params += first_condition_params
            aggregates.append(f"COUNT(*) FILTER (WHERE {condition}) AS {column}__{y}")
            aggregate_params += condition_params
    a, t = f'"{ACHIEVEMENT_TABLE}"', f'"{TRANSFORMATION_TABLE}"'
    keys = ", ".join(f"{a}.{name}" for name in ("unit_id", *groups))
    sql = (
        f"SELECT {keys}, {', '.join(aggregates)} FROM ({achievements_sql}) {a} "
        f"LEFT OUTER JOIN (SELECT f.achievement_id, f.first_on AS signed_on FROM ({first_sql}) f) {t} "
        f"ON {t}.achievement_id = {a}.id GROUP BY {keys}"
    )
    return sql, aggregate_params + params + list(first_params)


def _contract_columns() -> dict:
    """The snapshot's contract-side columns as aggregates over the effective contracts of one group
    (the contracts are grouped by the year of ``signed_on`` and read only inside each year's window)."""
    local = Q(transferee__is_local=True)
    return {
        "transformed": Count("achievement_id", distinct=True),
        "contracts": Count("id"),
        "local_contracts": Count("id", filter=local),
        "amount": Sum("amount"),
        "received": Sum(Coalesce("received", Value(Decimal("0.00")))),
        "local_amount": Sum("amount", filter=local),
    }


def _check_to_date_columns() -> None:
    """Every snapshot column has its year-to-date aggregate (a column added to the catalogue and the
    engine, but not here, fails at start-up instead of answering a wrong figure)."""
    declared = [*_stock_columns(2000, datetime.date(2000, 1, 1)), *_contract_columns()]
    if sorted(declared) != sorted(catalogue.COLUMN_NAMES):
        raise ImproperlyConfigured(
            f"year-to-date columns {sorted(declared)} differ from the snapshot's {sorted(catalogue.COLUMN_NAMES)}"
        )


_check_to_date_columns()

# by: (group fields of an achievement, of a contract); None: that side has no such group (mode).
_TO_DATE_GROUPS = {
    None: ((), ()),
    "unit": ((), ()),
    "unit_type": ((), ()),
    "region": ((), ()),
    "cluster": (("cluster_id",), ("achievement__cluster_id",)),
    "trl": (("trl",), ("achievement__trl",)),
    "ip_type": (("ip_type",), ("achievement__ip_type",)),
    "mode": (None, ("mode",)),
}


def _to_date_cells(
    *, years: list[int], until: datetime.date, scope: Scope, by: str | None = None
) -> list[dict]:
    """Cells like the snapshot's — ``{"year", "unit_id", "group", <columns>}`` per (year, unit, group of
    ``by``) — computed from the records of ``scope`` with every rule cut at ``until``'s month and day:
    the stock side for ``years`` (the years answered), the contract side for them and the year
    before each (growth)."""
    stock_groups, contract_groups = _TO_DATE_GROUPS[by]
    money = set(catalogue.MONEY_COLUMNS)
    cells: dict[tuple, dict] = {}

    def cell(year, unit_id, group) -> dict:
        return cells.setdefault(
            (year, unit_id, group),
            {"year": year, "unit_id": unit_id, "group": group, **dict.fromkeys(catalogue.COLUMN_NAMES, 0)},
        )

    def put(target: dict, column: str, value) -> None:
        target[column] = _as_decimal(value) if column in money else int(value or 0)

    if stock_groups is not None:
        # One pass over the achievements, with the stock figures of every year as FILTER aggregates.
        sql, params = _stock_sql(years=years, until=until, scope=scope, groups=stock_groups)
        stock_columns = list(_stock_columns(max(years), until))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                unit_id, group = row[0], row[1] if stock_groups else None
                values = row[1 + len(stock_groups) :]
                for i, y in enumerate(years):
                    target = cell(y, unit_id, group)
                    for j, column in enumerate(stock_columns):
                        put(target, column, values[i * len(stock_columns) + j])
    # One pass over the effective contracts signed inside the windows (1 Jan … the cut-off of each
    # year), grouped by the year they were signed in: a contract counts in year Y exactly when
    # ``signed_in_q(Y, until=...)`` holds.
    windows = Q()
    for y in range(min(years) - 1, max(years) + 1):
        windows |= signed_in_q(y, until=until)
    rows = (
        Transformation.objects.filter(effective_q(), records_scope_q(scope, "achievement__"))
        .filter(windows)
        .annotate(signed_year=Cast(ExtractYear("signed_on"), IntegerField()))
        .order_by()
        .values("achievement__unit_id", "signed_year", *contract_groups)
        .annotate(**{f"{c}__sum": a for c, a in _contract_columns().items()})
    )
    contract_columns = list(_contract_columns())
    for row in rows:
        group = row[contract_groups[0]] if contract_groups else None
        target = cell(row["signed_year"], row["achievement__unit_id"], group)
        for column in contract_columns:
            put(target, column, row[f"{column}__sum"])
    return list(cells.values())


def _to_date_row(cells: list[dict], year: int) -> dict:
    """What ``_aggregates`` and ``_same_unit_sums`` give for snapshot cells, from to-date cells:
    the sums of ``year``, its distinct-unit counts, the Y−1 sums and the same-unit sums (``same``)."""
    now = [c for c in cells if c["year"] == year]
    before = [c for c in cells if c["year"] == year - 1]
    row = {f"x_{name}": sum((c[name] for c in now), 0) for name in catalogue.COLUMN_NAMES}
    for column in set(catalogue.distinct_unit_metrics().values()):
        row[f"x_units_{column}"] = len({c["unit_id"] for c in now if c[column] > 0})
    for name in catalogue.COLUMN_NAMES:
        row[f"x_prev_{name}"] = sum((c[name] for c in before), 0)
    contracts = catalogue.CONTRACTS_COLUMN
    both = {c["unit_id"] for c in now if c[contracts] > 0} & {
        c["unit_id"] for c in before if c[contracts] > 0
    }
    row["same"] = {
        column: (
            sum((c[column] for c in now if c["unit_id"] in both), 0),
            sum((c[column] for c in before if c["unit_id"] in both), 0),
        )
        for column in catalogue.same_unit_columns()
    }
    return row


def _to_date_answer(state, key: str, compute) -> dict:
    """A year-to-date answer, cached per snapshot revision like the others, stamped with the time
    it was computed from the records (its ``computed_at``)."""
    return _cached(state, f"to-date:{key}", lambda: {"computed_at": timezone.now(), "value": compute()})


def stats_summary(*, year: int, scope: Scope, as_of: datetime.date | None = None) -> dict:
    """The summary (docs/metrics.md, "Statistics API") of one year in one scope (``computed_at`` an aware datetime).

    ``as_of``: year to date — every figure up to ``as_of``'s month and day in ``year``, growth against
    the same period of the year before (docs/metrics.md, "Year to date"); the answer then also
    carries ``period`` ("ytd"), ``as_of`` and ``through`` (the last day counted)."""
    state = _state()
    if as_of is not None:
        end = to_date_cutoff(year, as_of)
        scope_q(scope)  # refuses a filter value that names nothing, before any cache

        def compute_to_date():
            return _to_date_row(_to_date_cells(years=[year], until=end, scope=scope), year)

        answer = _to_date_answer(state, f"summary:{year}:{end}:{scope}", compute_to_date)
        row, computed_at = answer["value"], timezone.localtime(answer["computed_at"])
    else:
        if state is None or state.version is None:
            scope_q(scope)  # still refuses a filter value that names nothing

        def compute():
            if state is None or state.version is None:
                return {}
            where = scope_q(scope)
            cells = StatCell.objects.filter(
                where, version=state.version, grain=Grain.BASE, year__in=[year - 1, year]
            )
            row = cells.aggregate(**_aggregates(Q(year=year), Q(year=year - 1)))
            return {**row, "same": _same_unit_sums(cells).get((year,), {})}

        row = _cached(state, f"summary:{year}:{scope}", compute)
        computed_at = _computed_at(state)
    figures = _figures(row, same=row.get("same"))
    additions = {name: figures.pop(name) for name in catalogue.ADDED_METRICS}
    # The reference fields in their order (docs/metrics.md), then the additions.
    answer = {
        "year": year,
        "scope": scope.as_dict(),
        **figures,
        "computed_at": computed_at,
        **additions,
    }
    if as_of is not None:
        answer.update(period="ytd", as_of=as_of, through=end)
    return answer


def _label(by: str, values: dict):
    if by == "unit":
        return values["unit__code"], values["unit__name"]
    if by == "unit_type":
        key = values["unit_type"]
        return key, str(UnitType(key).label) if key in UnitType.values else key
    if by == "region":
        key = values["city"]
        return key, str(LIAONING_CITIES.get(key, key))
    if by == "cluster":
        key = values["cluster__code"]
        return key, values["cluster__name"] or _("未归入集群")
    key = values["dim"]
    if by == "mode":
        return key, str(TransformationMode(key).label) if key in TransformationMode.values else key
    if by == "ip_type":
        return key, str(IPType(key).label) if key in IPType.values else key
    return int(key), _("技术成熟度 %(level)s 级") % {"level": key}


def _to_date_groups(cells: list[dict], by: str, year: int) -> list[dict]:
    """To-date cells summed per value of ``by`` (rows as the snapshot path's, with the fields
    ``_label`` reads): the unit's code, type or city, or the cell's group (cluster, TRL, ...)."""
    unit_ids = {c["unit_id"] for c in cells}
    units = {
        u["id"]: u
        for u in Unit.objects.filter(id__in=unit_ids).values("id", "code", "name", "type", "region")
    }
    clusters = {}
    if by == "cluster":
        ids = {c["group"] for c in cells if c["group"] is not None}
        clusters = {c["id"]: c for c in Cluster.objects.filter(id__in=ids).values("id", "code", "name")}
    groups: dict[object, list[dict]] = {}
    for c in cells:
        unit = units[c["unit_id"]]
        key = {
            "unit": unit["id"],
            "unit_type": unit["type"],
            "region": unit["region"][:4] + "00",
        }.get(by, c["group"])
        groups.setdefault(key, []).append(c)
    rows = []
    for key, members in groups.items():
        row = _to_date_row(members, year)
        if by == "unit":
            row.update(unit__code=units[key]["code"], unit__name=units[key]["name"])
        elif by == "unit_type":
            row["unit_type"] = key
        elif by == "region":
            row["city"] = key
        elif by == "cluster":
            cluster = clusters.get(key) or {}
            row.update(cluster__code=cluster.get("code"), cluster__name=cluster.get("name"))
        else:
            row["dim"] = key
        rows.append(row)
    return rows


def stats_breakdown(*, year: int, by: str, scope: Scope, as_of: datetime.date | None = None) -> list[dict]:
    """Figures of one year in a scope, one row per value of ``by``, largest contract amount first.

    ``by`` is one of ``BREAKDOWN_DIMENSIONS``; by ``mode`` only the contract metrics are given.
    Each row: ``{"key": ..., "label": ..., <metrics>}``. ``as_of``: year to date (see ``stats_summary``).
    """
    if by not in BREAKDOWN_DIMENSIONS:
        raise ScopeError("by", _("分组维度“%(value)s”无效。") % {"value": by})
    grain, fields, key = BREAKDOWN_DIMENSIONS[by]
    where = scope_q(scope)
    state = _state()
    contract_only = by == "mode"  # contracts alone have a transformation mode
    names = catalogue.CONTRACT_METRICS if contract_only else catalogue.METRICS
    if as_of is not None:
        end = to_date_cutoff(year, as_of)

        def compute_to_date():
            cells = _to_date_cells(years=[year], until=end, scope=scope, by=by)
            return _to_date_groups(cells, by, year)

        rows = _to_date_answer(state, f"breakdown:{year}:{end}:{by}:{scope}", compute_to_date)["value"]
        return _breakdown_rows(rows, by, names)
    if state is None or state.version is None:
        return []

    def compute():
        cells = StatCell.objects.filter(where, version=state.version, grain=grain, year__in=[year - 1, year])
        rows = list(
            cells.values(*dict.fromkeys((*fields, key)))
            .annotate(**_aggregates(Q(year=year), Q(year=year - 1)))
            .order_by()
        )
        same = _same_unit_sums(cells, (key,)) if _reads_same_units(names) else {}
        for row in rows:
            row["same"] = same.get((0 if row[key] is None else row[key], year), {})
        return rows

    return _breakdown_rows(_cached(state, f"breakdown:{year}:{by}:{scope}", compute), by, names)


def _breakdown_rows(rows: list[dict], by: str, names) -> list[dict]:
    result = []
    for row in rows:
        if not (row["x_achievements"] or row["x_contracts"]):
            continue  # only present in Y−1
        label_key, label = _label(by, row)
        result.append({"key": label_key, "label": label, **_figures(row, same=row["same"], names=names)})
    result.sort(key=lambda r: (-float(r["amount"]), str(r["key"])))
    return result


def _reads_same_units(names) -> bool:
    metrics = (catalogue.metric(name) for name in names)
    return any(isinstance(m.aggregate, catalogue.Growth) and m.aggregate.same_units for m in metrics)


def stats_timeseries(
    *, year_from: int, year_to: int, scope: Scope, as_of: datetime.date | None = None
) -> list[dict]:
    """One summary (without ``scope``/``computed_at``) per year from ``year_from`` to ``year_to``.

    ``as_of``: every year to date — up to ``as_of``'s month and day in that year, growth against the
    same period of the year before (see ``stats_summary``)."""
    where = scope_q(scope)
    state = _state()
    if as_of is not None:
        end = to_date_cutoff(year_to, as_of)

        def compute_to_date():
            cells = _to_date_cells(years=list(range(year_from, year_to + 1)), until=end, scope=scope)
            return {y: _to_date_row(cells, y) for y in range(year_from, year_to + 1)}

        rows = _to_date_answer(state, f"timeseries:{year_from}:{year_to}:{end}:{scope}", compute_to_date)
        return [{"year": y, **_figures(row, same=row["same"])} for y, row in rows["value"].items()]
    by_year, same = {}, {}
    if state is not None and state.version is not None:

        def compute():
            cells = StatCell.objects.filter(
                where, version=state.version, grain=Grain.BASE, year__range=(year_from - 1, year_to)
            )
            rows = list(cells.values("year").annotate(**_aggregates(Q(), None)).order_by())
            return rows, _same_unit_sums(cells)

        rows, same = _cached(state, f"timeseries:{year_from}:{year_to}:{scope}", compute)
        by_year = {row["year"]: row for row in rows}
    return [
        {"year": y, **_figures(by_year.get(y, {}), prev=by_year.get(y - 1, {}), same=same.get((y,), {}))}
        for y in range(year_from, year_to + 1)
    ]


def snapshot_status() -> dict:
    """Which snapshot answers, when it was computed, and whether changes wait for a recompute.

    ``stale``: changed records not yet in the snapshot (dirty rows exist, e.g. while the broker is
    down); ``pending``: a recompute run is queued; ``failing``: the figures of some unit could not
    be built (they stay as they were, and stale, until a run succeeds; see ``statistics_health``).
    """
    state = _state()
    schedule = RecomputeSchedule.objects.filter(pk=1).values_list("scheduled_until", flat=True).first()
    return {
        "version": state.revision if state and state.version is not None else None,
        "computed_at": _computed_at(state),
        "stale": DirtyCell.objects.exists(),
        "pending": bool(schedule and schedule > timezone.now()),
        "failing": StatFailure.objects.exists(),
    }


def statistics_health() -> dict:
    """The statistics part of ``/healthz/``: ``failing`` while some unit's figures cannot be built
    (``failing_units``, the last ``error``), and how much waits for a recompute (``pending_units``,
    ``oldest_pending_seconds``: a figure that keeps growing means no run drains the queue)."""
    failures = StatFailure.objects.order_by("-failed_at")
    latest = failures.first()
    oldest = DirtyCell.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "status": "failing" if latest else "ok",
        "failing_units": failures.count(),
        "error": latest.error if latest else None,
        "pending_units": DirtyCell.objects.values("unit_id").distinct().count(),
        "oldest_pending_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else None,
    }


def default_year(scope: Scope | None = None) -> int:
    """The year a dashboard or a figure card opens on: the latest complete year — the year before
    the current one, or the latest earlier year with contracts in ``scope`` when that is older.

    The current year is never the default, even once it has records: its figures are partial until
    31 Dec (it can still be chosen, and is then shown as year to date, docs/dashboards.md)."""
    last_complete = timezone.localdate().year - 1
    state = _state()
    if state is None or state.version is None:
        return last_complete

    def compute():
        try:
            where = scope_q(scope or Scope())
        except ScopeError:
            return {"year": None}
        cells = StatCell.objects.filter(
            where, version=state.version, grain=Grain.BASE, year__lte=last_complete, contracts__gt=0
        )
        return {"year": cells.aggregate(m=Max("year"))["m"]}

    latest = _cached(state, f"default-year:{last_complete}:{scope}", compute)["year"]
    return latest if latest is not None else last_complete


# The figures a home page shows, by catalogue name.
HEADLINE_METRICS = ("achievements", "convertible", "units")


def headline_figures(user, *, year: int | None = None, metrics=HEADLINE_METRICS) -> dict | None:
    """The headline figures of ``year`` (default: ``default_year``, the latest complete year) for a
    user, from the snapshot exactly as the dashboard shows them: the province for staff, their own
    unit for a unit user, ``None`` for anyone else.

    ``{"year": Y, "<metric>": {"value", "label", "definition", "url"}}`` for each of ``metrics``
    (default ``HEADLINE_METRICS``; labels and definitions lazy, the link the dashboard's drill-down)."""
    from .drilldown import metric_url

    if user.is_staff:
        scope = Scope()
    elif getattr(user, "unit_id", None):
        scope = Scope(unit=user.unit.code)
    else:
        return None
    year = year or default_year(scope)
    summary = stats_summary(year=year, scope=scope)
    figures = {"year": year}
    for name in metrics:
        entry = catalogue.metric(name)
        figures[name] = {
            "value": summary[name],
            "label": entry.label,
            "definition": entry.definition,
            "url": metric_url(name, year=year, scope=scope),
        }
    return figures
