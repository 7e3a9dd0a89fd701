"""Spreadsheets of the annual reports: one report (.xlsx), and the province-wide workbook of a
cycle's accepted reports (one row per unit, with totals). Every row goes through the project's
formula neutraliser (``core.spreadsheets.append_row``)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import append_row

from . import checks, figures
from .models import AnnualReport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _response(book: Workbook, filename: str) -> HttpResponse:
    stream = io.BytesIO()
    book.save(stream)
    response = HttpResponse(stream.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _num(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (int, Decimal)):
        return value
    try:
        return Decimal(str(value)) if "." in str(value) else int(value)
    except (ArithmeticError, ValueError):
        return str(value)


def report_workbook(report) -> HttpResponse:
    """One report: the figures beside the registry's, the differences' explanations, the sections."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("年度报告")[:31]
    append_row(sheet, [str(report)])
    append_row(sheet, [_("统一社会信用代码"), report.unit.code, _("修订版次"), report.revision,
                       _("状态"), str(report.get_status_display())])
    append_row(sheet, [])
    append_row(sheet, [_("项目"), _("成果库数据"), _("填报数"), _("差异说明")])
    for part in figures.PARTS:
        for figure in figures.FIGURES:
            key = f"reported.{part}.{figure}"
            append_row(sheet, [
                figures.key_label(part, figure),
                _num(report.registry.get(part, {}).get(figure)),
                _num(report.reported.get(part, {}).get(figure)),
                (report.explanations or {}).get(key, ""),
            ])
    append_row(sheet, [])
    for _key, title, names in figures.SECTIONS:
        append_row(sheet, [str(title)])
        for name in names:
            append_row(sheet, [str(report._meta.get_field(name).verbose_name), _num(getattr(report, name))])
    share = checks.team_share(report)
    append_row(sheet, [_("现金奖励占净收入比例"), float(share) if share is not None else None])
    return _response(book, f"annual-report-{report.unit.code}-{report.year}-r{report.revision}.xlsx")


def workbook_columns():
    columns = [(_("单位"), lambda r: r.unit.name), (_("统一社会信用代码"), lambda r: r.unit.code),
               (_("修订版次"), lambda r: r.revision)]
    for part in figures.PARTS:
        for figure in figures.FIGURES:
            columns.append((figures.key_label(part, figure),
                            lambda r, p=part, f=figure: _num(r.reported.get(p, {}).get(f)), True))
    for name in figures.SECTION_FIELDS:
        if name in ("team_share_explanation", "typical_cases", "problems"):
            continue
        columns.append((name, lambda r, n=name: _num(getattr(r, n)), name != "tto_exists"))
    return [(c[0], c[1], len(c) > 2 and c[2]) for c in columns]


def cycle_workbook(cycle, reports) -> HttpResponse:
    """The province's workbook: one row per unit's accepted report, and a totals row."""
    book = Workbook()
    sheet = book.active
    sheet.title = str(cycle)[:31]
    columns = workbook_columns()
    header = []
    for label, _get, _summed in columns:
        if label in figures.SECTION_FIELDS:
            label = str(AnnualReport._meta.get_field(label).verbose_name)
        header.append(label)
    append_row(sheet, header)
    totals = [0 if summed else None for _l, _g, summed in columns]
    for report in reports:
        row = [get(report) for _l, get, _s in columns]
        for i, value in enumerate(row):
            if totals[i] is not None and isinstance(value, (int, Decimal)):
                totals[i] += value
        append_row(sheet, row)
    totals[0] = _("合计（%(n)s个单位）") % {"n": len(reports)}
    append_row(sheet, totals)
    stamp = timezone.localdate().isoformat()
    return _response(book, f"annual-reports-{cycle.year}-{stamp}.xlsx")
