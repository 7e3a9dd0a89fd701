"""The dashboard's pilot-base section (core.registry.DashboardPanel): the register's totals of the
year, by city and by cluster, utilisation and requests over time; each row drills down to the
register's list. Province-wide only (a unit's page shows no pilot section)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.numbers import chart_unit
from core.registry import DashboardPanel, PanelContext, register
from core.validators import LIAONING_CITIES

from . import selectors


def _url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('pilots:base_list')}?status=active&{query}"


def pilots_section(ctx: PanelContext) -> list | None:
    """The three pilot sections of the province's dashboard (none on one unit's page, none in a
    year without an active base)."""
    scope = ctx.scope
    if getattr(scope, "unit", None):
        return None
    year = ctx.year
    totals = selectors.pilot_totals(year)
    if not totals["bases"]:
        return None  # no base active that year: no pilot sections
    figures = [
        (_("基地（个）"), totals["bases"]),
        (_("场地面积（平方米）"), totals["site_area_m2"]),
        (_("仪器设备（台套）"), totals["equipment_count"]),
        (_("专职服务人员（人）"), totals["staff_count"]),
        (_("省级资金（元，截至本年）"), totals["provincial_funds"]),
    ]
    by_city = selectors.totals_by(year, "city")
    by_cluster = selectors.totals_by(year, "cluster")
    header = [_("基地（个）"), _("场地面积（平方米）"), _("仪器设备（台套）"), _("专职服务人员（人）")]

    def rows(items, label, param):
        return [
            {
                "label": label(row),
                "cells": [
                    {"text": str(row["n"]), "url": _url(**{param: row["key"]})},
                    {"text": str(row["area"] or 0)},
                    {"text": str(row["equipment"] or 0)},
                    {"text": str(row["staff"] or 0)},
                ],
            }
            for row in items
        ]

    def chart(section_id, items, label):
        return {
            "id": section_id,
            "kind": "hbar",
            "categories": [label(row) for row in items],
            "series": [
                {
                    "name": _("基地（个）"),
                    "unit": chart_unit("count"),
                    "data": [{"value": row["n"]} for row in items],
                }
            ],
        }

    def city_label(row):
        return str(LIAONING_CITIES.get(row["key"], row["key"]))

    def cluster_label(row):
        return f"{row['key']} {row['name']}"

    use = selectors.utilisation_by_year()
    requests = {row["year"]: row for row in selectors.requests_by_year()}
    trend_rows = []
    for row in use:
        req = requests.get(row["year"], {})
        mean = (row["utilisation"] / row["reports"]).quantize(1) if row["reports"] else 0
        trend_rows.append(
            {
                "label": _("%(year)s年") % {"year": row["year"]},
                "cells": [
                    {"text": str(row["reports"])},
                    {"text": str(row["tests"] or 0)},
                    {"text": f"{mean}%"},
                    {"text": str(req.get("requests", 0))},
                    {"text": str(req.get("completed", 0))},
                ],
            }
        )
    definitions = [
        {
            "label": _("中试基地"),
            "text": _(
                "认定年份不晚于本年、12月31日状态为运行的省级中试基地；省级资金为截至本年各年度到账之和。"
            ),
        },
    ]
    return [
        {
            "id": "pilots_city",
            "title": _("中试基地：各市（%(year)s年）") % {"year": year},
            "table": {
                "header": header,
                "rows": [{"label": _("全省"), "cells": [{"text": str(v)} for _l, v in figures[:4]]}]
                + rows(by_city, city_label, "city"),
            },
            "note": _("省级资金（截至本年）：%(funds)s 元") % {"funds": totals["provincial_funds"]},
            "definitions": definitions,
            "chart": chart("pilots_city", by_city, city_label),
        },
        {
            "id": "pilots_cluster",
            "title": _("中试基地：各产业集群（%(year)s年）") % {"year": year},
            "table": {"header": header, "rows": rows(by_cluster, cluster_label, "cluster")},
            "definitions": definitions,
            "chart": chart("pilots_cluster", by_cluster, cluster_label),
        },
        {
            "id": "pilots_use",
            "title": _("中试基地：利用与申请"),
            "table": {
                "header": [
                    _("已审核报告"),
                    _("完成中试（项）"),
                    _("平均设备利用率"),
                    _("中试申请"),
                    _("已完成申请"),
                ],
                "rows": trend_rows,
            },
            "definitions": [
                {"label": _("平均设备利用率"), "text": _("已通过审核的绩效报告中设备利用率的平均值。")}
            ],
            "chart": {
                "id": "pilots_use",
                "kind": "bar",
                "categories": [r["label"] for r in trend_rows],
                "series": [
                    {
                        "name": _("完成中试（项）"),
                        "unit": chart_unit("count"),
                        "data": [{"value": int(r["cells"][1]["text"])} for r in trend_rows],
                    }
                ],
            },
        },
    ]


register(DashboardPanel("pilots", order=80, build=pilots_section))
