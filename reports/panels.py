"""The dashboard's annual-reports section (core.registry.DashboardPanel): per unit, the contract
amount it reported beside the registry's (the report's prefilled block), for the reports of the
year shown that were filed (submitted, resubmitted or accepted); large differences are flagged.
The dashboard's unit, unit-type and region filters narrow the units (on one unit's dashboard only
that unit's row); a report has no figures per cluster, so with a cluster filter there is no section.
The registry's amount links to the contracts behind it, the reported one to the report."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import numbers
from core.registry import DashboardPanel, PanelContext, register
from dashboards.drilldown import metric_url
from dashboards.selectors import Scope, region_prefix

from . import figures, selectors

# A difference is large from 10 % of the registry's amount (or any amount when the registry has none).
LARGE_DIFFERENCE = Decimal("0.10")
LIMIT = 20


def comparison_rows(*, year: int, unit_code: str | None = None, unit_type: str | None = None,
                    region: str | None = None) -> list[dict]:
    rows = []
    prefix = region_prefix(region) if region else None
    for report in selectors.filed_reports(year=year, unit_code=unit_code, unit_type=unit_type, region_prefix=prefix):
        registry = figures.block_total(report.registry or {}, figures.MODES)
        reported = figures.block_total(report.reported or {}, figures.MODES)
        diff = reported["amount"] - registry["amount"]
        base = registry["amount"]
        ratio = None if not base else (diff / base)
        large = (abs(ratio) >= LARGE_DIFFERENCE) if ratio is not None else bool(diff)
        rows.append({
            "report": report,
            "registry": registry,
            "reported": reported,
            "difference": diff,
            "ratio": ratio,
            "large": large,
        })
    rows.sort(key=lambda r: (-abs(r["difference"]), r["report"].unit.name))
    return rows


def _wan(value: Decimal) -> str:
    return numbers.wan(value)  # docs/numbers.md: the dashboard's tables are in 万元


def build(ctx: PanelContext) -> dict | None:
    scope = ctx.scope
    if getattr(scope, "cluster", None):
        return None  # a report's figures are the unit's whole, not per cluster
    rows = comparison_rows(year=ctx.year, unit_code=getattr(scope, "unit", None),
                           unit_type=getattr(scope, "unit_type", None), region=getattr(scope, "region", None))
    if not rows:
        return None
    shown = rows[:LIMIT]
    table_rows = []
    for row in shown:
        flag = gettext("差异较大") if row["large"] else ""
        table_rows.append({
            "label": row["report"].unit.name,
            "cells": [
                {"text": _wan(row["registry"]["amount"]),
                 "url": metric_url("amount", year=ctx.year, scope=Scope(unit=row["report"].unit.code)) or "",
                 "kind": "wan"},
                {"text": _wan(row["reported"]["amount"]), "url": row["report"].get_absolute_url(), "kind": "wan"},
                {"text": f"{_wan(row['difference'])} {flag}".strip(), "url": "", "kind": "wan"},
            ],
        })
    large = sum(1 for row in rows if row["large"])
    # One unit for the chart: 亿元 when its largest amount is at least 1 亿元 (docs/numbers.md).
    unit = numbers.chart_money_unit(row[key]["amount"] for row in shown for key in ("registry", "reported"))
    return {
        "id": "annual_reports",
        "title": _("年度报告：填报数与成果库数据"),
        "table": {
            "header": [gettext("成果库合同金额（万元）"), gettext("填报合同金额（万元）"), gettext("差额（万元）")],
            "rows": table_rows,
        },
        "note": gettext("已提交或已通过的年度报告 %(n)s 份，其中填报合同金额与成果库相差 10%% 以上的 %(large)s 份。")
        % {"n": numbers.count(len(rows)), "large": numbers.count(large)},
        "definitions": [
            {
                "label": gettext("成果库数据"),
                "text": gettext("报告开启或刷新时从成果库读取：该单位该年度签订的有效转化合同（与统计接口按转化方式分组的结果相同）。"),
            },
            {
                "label": gettext("差异较大"),
                "text": gettext("填报合同金额与成果库合同金额之差达到成果库金额的 10%（成果库为 0 时任何差额）。"),
            },
        ],
        "chart": {
            "id": "annual_reports",
            "kind": "hbar",
            "categories": [row["report"].unit.name for row in shown],
            "series": [
                {
                    "name": name,
                    "unit": numbers.chart_unit(unit),
                    "data": [{"value": float(numbers.in_unit(row[key]["amount"], unit)), "url": row["report"].get_absolute_url()}
                             for row in shown],
                }
                for name, key in ((gettext("成果库"), "registry"), (gettext("填报"), "reported"))
            ],
        },
    }


register(DashboardPanel("annual_reports", order=95, build=build))
