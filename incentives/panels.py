"""The dashboard's incentive sections (core.registry.DashboardPanel): awards proposed, approved and
paid by rule (with the budget used), by beneficiary kind and by city (not on one unit's page), and
the size of the use-before-transfer list over time. Every figure links to the awards behind it."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from achievements.models import Unit
from core import numbers
from core.registry import DashboardPanel, PanelContext, register
from core.validators import LIAONING_CITIES, normalize_credit_code
from dashboards.views import fmt

from . import selectors, services
from .choices import AwardStatus, BeneficiaryKind
from .models import Rule

STATUSES = (AwardStatus.PROPOSED, AwardStatus.APPROVED, AwardStatus.PAID)


def _unit_id(scope):
    if not getattr(scope, "unit", None):
        return None
    return Unit.objects.filter(code=normalize_credit_code(scope.unit)).values_list("id", flat=True).first() or 0


def _url(year, unit_code=None, **params) -> str:
    query = {"year": year, **{k: v for k, v in params.items() if v not in (None, "")}}
    if unit_code:
        query["unit"] = unit_code
    return reverse("incentives:award_list") + "?" + urlencode(query)


def _wan(value) -> float:
    return float(numbers.in_unit(value or 0, "wan"))


def _section(section_id, title, rows, *, year, scope, param, note=None) -> dict:
    """rows: (label, key, figures dict from selectors.award_figures)."""
    header = [gettext("拟奖补（笔）"), gettext("拟奖补（万元）"), gettext("已批准（万元）"), gettext("已支付（万元）")]
    table_rows = []
    for label, key, r in rows:
        # The count links to the awards it counts; the amounts to the awards they sum.
        cells = [{"text": fmt(r.get("proposed_n") or 0, "count"), "kind": "count", "metric": "awards",
                  "url": _url(year, scope.unit, status="proposed", **{param: key})}]
        for status in STATUSES:
            cells.append({"text": fmt(r.get(f"{status}_amount") or Decimal(0), "wan"), "kind": "award_amount",
                          "metric": f"{status}_amount", "url": _url(year, scope.unit, status=status, **{param: key})})
        table_rows.append({"label": label, "cells": cells})
    wan = numbers.chart_unit("wan")
    return {
        "id": section_id,
        "title": title,
        "table": {"header": header, "rows": table_rows},
        "note": note,
        "definitions": [
            {"label": gettext("拟奖补、已批准、已支付"),
             "text": gettext("评审年度的奖补按状态合计；已撤销和未批准的不计。点击数字查看对应的奖补。")},
        ],
        "chart": {
            "id": section_id,
            "kind": "bar",
            "categories": [label for label, _k, _r in rows],
            "series": [
                {"name": str(name), "unit": wan,
                 "data": [{"value": _wan(r.get(f"{status}_amount")), "url": _url(year, scope.unit, status=status, **{param: key})}
                          for _l, key, r in rows]}
                for status, name in zip(STATUSES, (_("拟奖补"), _("已批准"), _("已支付")), strict=True)
            ],
        },
    }


def awards_panel(ctx: PanelContext):
    unit_id = _unit_id(ctx.scope)
    figures = selectors.award_figures(year=ctx.year, unit_id=unit_id)
    if not any(figures.values()):
        return None
    rules = {r.code: r for r in Rule.objects.all()}
    rule_rows, notes = [], []
    for row in figures["rule__code"]:
        rule = rules.get(row["rule__code"])
        rule_rows.append((rule.name if rule else row["rule__code"], row["rule__code"], row))
        if rule is not None and unit_id is None:
            values, _snapshot = services.parameter_values(rule, services.reference_date(ctx.year))
            budget = values.get("budget_per_year")
            if budget:
                used = sum((row.get(f"{s}_amount") or Decimal(0)) for s in STATUSES)
                notes.append(gettext("%(rule)s：年度预算 %(budget)s，已用 %(used)s（%(share)s%%）") % {
                    "rule": rule.name, "budget": fmt(Decimal(budget), "wan"), "used": fmt(used, "wan"),
                    "share": f"{used * 100 / Decimal(budget):.1f}"})
    kinds = dict(BeneficiaryKind.choices)
    sections = [
        _section("incentives_rule", _("激励奖补：按规则"), rule_rows, year=ctx.year, scope=ctx.scope,
                 param="rule", note="；".join(notes) or None),
        _section("incentives_kind", _("激励奖补：按受益方类型"),
                 [(str(kinds.get(r["beneficiary_kind"], r["beneficiary_kind"])), r["beneficiary_kind"], r)
                  for r in figures["beneficiary_kind"]], year=ctx.year, scope=ctx.scope, param="beneficiary_kind"),
    ]
    if unit_id is None:
        cities = LIAONING_CITIES
        sections.append(_section(
            "incentives_city", _("激励奖补：按城市"),
            [(str(cities.get(r["city"], r["city"] or gettext("未填写"))), r["city"], r) for r in figures["city"]],
            year=ctx.year, scope=ctx.scope, param="city"))
    return sections


def listing_panel(ctx: PanelContext):
    if getattr(ctx.scope, "unit", None):
        return None
    runs = selectors.listing_sizes()
    if not runs:
        return None
    count = numbers.chart_unit("count", "achievement")
    url = reverse("incentives:listing_list")
    return {
        "id": "use_before_transfer",
        "title": _("先使用后付费清单规模"),
        "table": {"header": [gettext("清单条目"), gettext("新列入"), gettext("移出")],
                  "rows": [{"label": run.run_on.isoformat(),
                            "cells": [{"text": fmt(n, "count"), "kind": "list_size", "url": None}
                                      for n in (run.listed, run.added, run.removed)]}
                           for run in runs]},
        "definitions": [{"label": gettext("清单条目"), "text": gettext(
            "每月生成清单时，财政资助、知识产权授权满N年、无有效转化合同且无已接受理由的成果数。")}],
        "chart": {"id": "use_before_transfer", "kind": "bar", "categories": [r.run_on.isoformat() for r in runs],
                  "series": [{"name": str(_("清单条目")), "type": "line", "unit": count,
                              "data": [{"value": r.listed, "url": url} for r in runs]}]},
    }


register(
    DashboardPanel("incentives_awards", order=95, build=awards_panel),
    DashboardPanel("incentives_listing", order=96, build=listing_panel),
)
