"""Dashboard pages (数据看板).

The page reads only the statistics snapshot, through ``dashboards.selectors``: a handful of queries
whatever the size of the registry. Every figure carries its definition (计算口径), the snapshot time,
and a drill-down link to the list of the records behind it (``dashboards.drilldown``). The data
tables are rendered on the server, so the page works without JavaScript; the script only draws
the same data as ECharts charts.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from achievements.choices import TRL_LEVELS, IPType, TransformationMode, UnitType
from core import numbers
from core.registry import PanelContext, dashboard_panels
from core.validators import LIAONING_CITIES

from . import catalogue, periods, selectors
from .catalogue import METRIC_DEFINITIONS, METRIC_LABELS, TILE_METRICS, TREND_METRICS, Kind, growth_of
from .drilldown import local_url, metric_url, row_url
from .forms import DashboardFilterForm, year_choices

TREND_YEARS = 10
TOP_UNITS = 20

# Tiles, table columns, units and definitions come from the metric catalogue. A metric's kind
# decides how it is shown (docs/numbers.md): counts as they are, amounts on tiles in 万元 below
# 1 亿元 and 亿元 above ("money") and in 万元 in tables ("wan"), rates in percent, growth in signed
# percent.
_TILE_KINDS = {Kind.COUNT: "count", Kind.AMOUNT: "money", Kind.RATE: "rate", Kind.GROWTH: "growth"}
_TABLE_KINDS = {**_TILE_KINDS, Kind.AMOUNT: "wan"}


def _column(name: str) -> tuple:
    """(header, display kind) of a metric in the dashboard's tables."""
    entry = catalogue.metric(name)
    return entry.column_label, _TABLE_KINDS[entry.kind]


# Breakdown charts: (id, dimension, title, chart kind, chart metrics, table metrics, limit).
BREAKDOWNS = [
    (
        "unit",
        "unit",
        _("转化合同金额前20位单位"),
        "hbar",
        ["amount"],
        ["transformed", "contracts", "amount", "received"],
        TOP_UNITS,
    ),
    (
        "region",
        "region",
        _("14个地级市转化合同金额排名"),
        "hbar",
        ["amount"],
        ["transformed", "contracts", "amount", "received"],
        None,
    ),
    (
        "cluster",
        "cluster",
        _("重点产业集群当年转化成果"),
        "hbar",
        ["transformed"],
        ["convertible", "transformed", "contracts", "amount"],
        None,
    ),
    (
        "ip_type",
        "ip_type",
        _("知识产权类型"),
        "bar",
        ["transformed"],
        ["achievements", "convertible", "transformed", "contracts", "amount"],
        None,
    ),
    (
        "trl",
        "trl",
        _("技术成熟度"),
        "bar",
        ["achievements", "transformed"],
        ["achievements", "convertible", "transformed", "contracts", "amount"],
        None,
    ),
    ("mode", "mode", _("转化方式"), "bar", ["contracts"], ["contracts", "amount", "received"], None),
]
TREND_COLUMNS = TREND_METRICS


# ---------------------------------------------------------------- formatting


def _decimal(value) -> Decimal:
    return numbers.to_decimal(value) or Decimal(0)


def fmt(value, kind: str) -> str:
    """Display text of a figure (``core.numbers``, docs/numbers.md): counts with thousands
    separators, amounts in 万元 (tables, ``wan``) or with the unit their size calls for (tiles,
    ``money``: the number only, the unit is :func:`unit_of`), rates in percent with one decimal,
    growth signed."""
    if kind == "rate":
        return numbers.percent(value)
    if kind == "growth":
        return numbers.growth(value)
    if kind == "wan":
        return numbers.wan(value or 0)
    if kind == "yi":
        return numbers.yi(value or 0)
    if kind == "money":
        return numbers.money_parts(value or 0)[0]
    return numbers.count(value or 0)


def unit_of(value, kind: str, count_unit: str = "item") -> str:
    """The unit written after a tile's figure: 万元 or 亿元 by size, the noun of a count in the
    plural ``value`` calls for; nothing for rates."""
    if kind == "money":
        return numbers.money_parts(value or 0)[1]
    if kind == "count":
        return numbers.count_noun(value or 0, count_unit)
    return ""


def chart_value(value, kind: str):
    """The number a chart plots (JSON-safe), in the unit ``kind`` names (``static/js/numbers.js``
    writes it with that unit)."""
    if kind in ("rate", "growth", "percent"):  # "percent": a rate's chart unit (_chart_unit)
        return None if value is None else float(numbers.rounded(_decimal(value) * 100, 1))
    if kind in ("yuan", "wan", "yi"):
        return float(numbers.in_unit(value or 0, kind))
    return int(value or 0)


def change(current, previous, kind: str, engine_yoy=None) -> dict | None:
    """Year-on-year change: relative for counts and amounts, in percentage points for rates."""
    if kind == "rate":
        if current is None or previous is None:
            return None
        delta = _decimal(current) - _decimal(previous)
        return {"text": numbers.points(delta), "sign": numbers.sign(delta)}
    if engine_yoy is not None:
        ratio = _decimal(engine_yoy)
    else:
        previous = _decimal(previous)
        if previous == 0:
            return None
        ratio = _decimal(current) / previous - 1
    return {"text": numbers.growth(ratio), "sign": numbers.sign(ratio)}


def _computed_at(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return None


# ---------------------------------------------------------------- page building


def _labels(by: str) -> dict:
    """Display labels for dimension keys the engine may leave unlabelled."""
    return {
        "region": dict(LIAONING_CITIES),
        "mode": dict(TransformationMode.choices),
        "ip_type": dict(IPType.choices),
        "unit_type": dict(UnitType.choices),
        "trl": {str(level): gettext("%(level)s级") % {"level": level} for level in TRL_LEVELS},
    }.get(by, {})


def _complete_rows(by: str, rows: list[dict]) -> list[dict]:
    """Fixed dimensions show every category (a zero is information); the cities in ranked order."""
    fixed = {
        "region": list(LIAONING_CITIES),
        "mode": TransformationMode.values,
        "ip_type": IPType.values,
        "trl": [str(level) for level in TRL_LEVELS],
    }.get(by)
    if fixed is None:
        return rows
    by_key = {str(row["key"]): row for row in rows}
    labels = _labels(by)
    completed = [by_key.pop(key, None) or {"key": key, "label": str(labels.get(key, key))} for key in fixed]
    completed += by_key.values()  # e.g. units registered outside Liaoning
    if by == "region":
        completed.sort(key=lambda row: (-_decimal(row.get("amount")), row["key"]))
    return completed


def _table(rows, metrics, *, year, scope, by=None, label_key="label") -> dict:
    header = [_column(m)[0] for m in metrics]
    body = []
    for row in rows:
        cells = []
        for metric in metrics:
            kind = _column(metric)[1]
            if by is None:
                url = metric_url(metric, year=row["year"], scope=scope)
            else:
                url = row_url(metric, year=year, scope=scope, by=by, key=row["key"])
            if kind in ("rate", "growth"):
                url = None  # a rate is not a count: its numerator's link is on the headline tile
            cells.append({"text": fmt(row.get(metric), kind), "url": url, "metric": metric, "kind": kind})
        body.append({"label": row[label_key], "cells": cells})
    return {"header": header, "rows": body}


def _chart_unit(metric: str, rows) -> str:
    """The one unit of a metric's values in a chart: amounts in 万元, or 亿元 when the largest is
    at or above 1 亿元; rates in percent; counts as they are."""
    kind = _column(metric)[1]
    if kind == "wan":
        return numbers.chart_money_unit(row.get(metric) for row in rows)
    return "percent" if kind in ("rate", "growth") else "count"


def _series_name(metric: str) -> str:
    """A series' name: the tile's words for an amount (its unit is on the axis and every label;
    the table header's names 万元), the table header otherwise."""
    entry = catalogue.metric(metric)
    return str(entry.tile or entry.label) if entry.kind == Kind.AMOUNT else str(_column(metric)[0])


def _series(rows, metric, *, year, scope, by) -> dict:
    unit = _chart_unit(metric, rows)
    return {
        "name": _series_name(metric),
        "unit": numbers.chart_unit(unit, catalogue.metric(metric).count_unit),
        "data": [
            {
                "value": chart_value(row.get(metric), unit),
                "url": row_url(metric, year=year, scope=scope, by=by, key=row["key"]),
            }
            for row in rows
        ],
    }


def _breakdown_section(spec, *, year, scope) -> dict:
    section_id, by, title, kind, chart_metrics, table_metrics, limit = spec
    labels = _labels(by)
    rows = selectors.stats_breakdown(year=year, by=by, scope=scope)
    for row in rows:
        own_label = labels.get(str(row["key"])) if by == "trl" else None  # short labels on the axis
        row["label"] = str(
            own_label or row.get("label") or labels.get(str(row["key"]), "") or gettext("未填写")
        )
    rows = _complete_rows(by, rows)
    if kind == "hbar":  # ranked charts: largest first by the figure plotted
        rows.sort(key=lambda row: -_decimal(row.get(chart_metrics[0])))
    if limit:
        rows = rows[:limit]
    return {
        "id": section_id,
        "title": title,
        "table": _table(rows, table_metrics, year=year, scope=scope, by=by),
        "definitions": _definitions(chart_metrics),
        "chart": {
            "id": section_id,
            "kind": kind,
            "categories": [row["label"] for row in rows],
            "series": [_series(rows, m, year=year, scope=scope, by=by) for m in chart_metrics],
        },
    }


def _trend_section(series_rows, *, year, scope) -> dict:
    rows = [row for row in series_rows if row["year"] <= year]
    first_with_data = next((i for i, row in enumerate(rows) if row.get("achievements")), len(rows) - 1)
    rows = rows[max(first_with_data, len(rows) - TREND_YEARS) :]
    for row in rows:
        row["label"] = gettext("%(year)s年") % {"year": row["year"]}

    def series(metric, chart_type, axis):
        unit = _chart_unit(metric, rows)
        return {
            "name": _series_name(metric),
            "type": chart_type,
            "axis": axis,
            "unit": numbers.chart_unit(unit, catalogue.metric(metric).count_unit),
            "data": [
                {
                    "value": chart_value(row.get(metric), unit),
                    "url": metric_url(metric, year=row["year"], scope=scope),
                }
                for row in rows
            ],
        }

    return {
        "id": "trend",
        "title": _("年度趋势"),
        "table": _table(rows, TREND_COLUMNS, year=year, scope=scope),
        "definitions": _definitions(["transformed", "contracts", "amount"]),
        "chart": {
            "id": "trend",
            "kind": "trend",
            "categories": [row["label"] for row in rows],
            "axes": [gettext("项"), numbers.unit_caption(_chart_unit("amount", rows))],
            "series": [
                series("transformed", "bar", 0),
                series("contracts", "bar", 0),
                series("amount", "line", 1),
            ],
        },
    }


def _local_section(summary, *, year, scope) -> dict:
    """Local (transferee in Liaoning) versus out-of-province contracts, exact from the summary."""
    contracts = int(summary.get("contracts") or 0)
    amount = _decimal(summary.get("amount"))
    local_contracts = int(summary.get("local_contracts") or 0)
    local_amount = _decimal(summary.get("local_amount"))
    parts = [
        (gettext("省内（本地转化）"), local_contracts, local_amount, True),
        (gettext("省外"), contracts - local_contracts, amount - local_amount, False),
    ]
    rows = [
        {
            "label": label,
            "cells": [
                {
                    "text": fmt(n, "count"),
                    "url": local_url("contracts", year=year, scope=scope, local=local),
                    "metric": "contracts",
                    "kind": "count",
                },
                {
                    "text": fmt(a, "wan"),
                    "url": local_url("amount", year=year, scope=scope, local=local),
                    "metric": "amount",
                    "kind": "wan",
                },
            ],
        }
        for label, n, a, local in parts
    ]
    pie_unit = numbers.chart_money_unit(a for _label, _n, a, _local in parts)
    return {
        "id": "local",
        "title": _("本地与省外转化"),
        "table": {"header": [_column("contracts")[0], _column("amount")[0]], "rows": rows},
        "definitions": _definitions(
            ["local_contracts", "local_amount", "local_rate_amount", "local_rate_count"]
        ),
        "chart": {
            "id": "local",
            "kind": "pie",
            "categories": [p[0] for p in parts],
            "series": [
                {
                    "name": _series_name("amount"),
                    "unit": numbers.chart_unit(pie_unit),
                    "data": [
                        {
                            "name": label,
                            "value": chart_value(a, pie_unit),
                            "url": local_url("amount", year=year, scope=scope, local=local),
                        }
                        for label, _n, a, local in parts
                    ],
                }
            ],
        },
    }


def _definitions(metrics) -> list[dict]:
    """Label and 计算口径 of each metric (and of the term "stock"), translated when shown."""
    labels = {"stock": catalogue.STOCK_LABEL, **METRIC_LABELS}
    return [{"label": labels[m], "text": METRIC_DEFINITIONS.get(m, "")} for m in metrics]


def _tiles(summary, previous, province, *, year, scope) -> list[dict]:
    """The catalogue's headline tiles: value, year-on-year change (the engine's own growth figure
    where the catalogue has one for the metric; none for a growth), drill-down link, definition."""
    tiles = []
    for name in TILE_METRICS:
        entry = catalogue.metric(name)
        kind = _TILE_KINDS[entry.kind]
        value = summary.get(name)
        engine_growth = growth_of(name)
        if entry.kind == Kind.GROWTH or (engine_growth and summary.get(engine_growth) is None):
            yoy = None
        else:
            yoy = change(
                value, previous.get(name), kind, summary.get(engine_growth) if engine_growth else None
            )
        tiles.append(
            {
                "metric": name,
                "kind": kind,
                "label": entry.tile,
                "value": fmt(value, kind),
                "unit": unit_of(value, kind, entry.count_unit),
                "yoy": yoy,
                "has_yoy": entry.kind != Kind.GROWTH,
                "url": metric_url(name, year=year, scope=scope),
                "definition": entry.definition,
                "province": fmt(province.get(name), kind) if province is not None else None,
                "province_unit": unit_of(province.get(name), kind, entry.count_unit) if province is not None else "",
            }
        )
    return tiles


def _scope_label(scope, unit_name) -> str:
    parts = []
    if unit_name:
        parts.append(unit_name)
    if scope.unit_type:
        parts.append(str(dict(UnitType.choices)[scope.unit_type]))
    if scope.region:
        parts.append(str(LIAONING_CITIES[scope.region]))
    if scope.cluster:
        parts.append(scope.cluster)
    return " · ".join(parts) or gettext("全省")


@login_required
@require_safe
def dashboard(request):
    user = request.user
    data = request.GET.copy()
    form = DashboardFilterForm(data or None, user=user)
    unit_name = None
    if user.is_staff:
        unit_code = form.value("unit")
        if unit_code:
            unit_name = dict(form.fields["unit"].choices).get(unit_code)
    else:
        # A unit user always sees their own unit; filters naming another unit are ignored.
        unit_code, unit_name = user.unit.code, user.unit.name
    scope = selectors.Scope(
        unit=unit_code,
        unit_type=form.value("unit_type"),
        region=form.value("region"),
        cluster=form.value("cluster"),
    )
    years = year_choices()
    series_rows = selectors.stats_timeseries(year_from=years[-1], year_to=years[0], scope=scope)
    year = form.value("year")
    if year is None:
        year = selectors.default_year(scope)  # the latest complete year, never the current one
        data["year"] = str(year)  # the menu shows the year the page shows
        form.fields["year"].initial = year
    # The current year is shown to date: its figures up to today, growth against the same period.
    as_of = periods.to_date(year)
    summary = selectors.stats_summary(year=year, scope=scope, as_of=as_of)
    if as_of is not None:
        previous = selectors.stats_summary(year=year - 1, scope=scope, as_of=as_of)
        point = {"year": year, **{name: summary[name] for name in catalogue.METRICS}}
        series_rows = [point if row["year"] == year else row for row in series_rows]
    else:
        # The previous year (for year-on-year changes) is in the time series unless the year is its first.
        previous = next((row for row in series_rows if row["year"] == year - 1), None)
        if previous is None:
            previous = selectors.stats_summary(year=year - 1, scope=scope)
    province = None
    if scope.unit:
        # The unit's figures next to the province's (same year and cluster) for comparison.
        province_scope = selectors.Scope(unit=None, unit_type=None, region=None, cluster=scope.cluster)
        province = selectors.stats_summary(year=year, scope=province_scope, as_of=as_of)

    # The sections are the registered panels (core.registry.DashboardPanel; this app's: panels.py).
    panel_context = PanelContext(year=year, scope=scope, summary=summary, series=series_rows, as_of=as_of)
    sections = []
    for panel in dashboard_panels():
        built = panel.build(panel_context)
        sections.extend(built if isinstance(built, list) else [built] if built else [])

    status = selectors.snapshot_status()
    params = request.GET.copy()
    params.pop("print", None)
    screen_query = params.urlencode()
    params["print"] = "1"
    context = {
        "form": form,
        "year": year,
        "as_of": as_of,
        "period_label": periods.label(as_of) if as_of else None,
        "scope": scope,
        "scope_label": _scope_label(scope, unit_name),
        "is_unit_scope": bool(scope.unit),
        "tiles": _tiles(summary, previous, province, year=year, scope=scope),
        "sections": sections,
        "charts": [s["chart"] for s in sections],
        "computed_at": _computed_at(summary.get("computed_at") or status.get("computed_at")),
        "status": status,
        "definitions": _definitions(METRIC_DEFINITIONS),
        "print_mode": request.GET.get("print") == "1",
        "print_query": params.urlencode(),
        "screen_query": screen_query,
        "invalid_filters": form.invalid_filters(),
    }
    return render(request, "dashboards/dashboard.html", context)
