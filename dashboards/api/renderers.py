"""CSV and Excel renderings of the statistics answers (Chinese headers, one row per figure set).

Rows are written through ``core.spreadsheets`` (formula neutralisation): a unit or cluster named
``=HYPERLINK(...)`` stays text in the staff member's spreadsheet."""

import io

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from rest_framework import renderers

from core.spreadsheets import append_row, csv_writer

from ..catalogue import METRIC_LABELS

# Column headers: lazy, translated when a file is written (the metrics' labels from the catalogue).
_HEADERS = {
    "year": _("年份"),
    "key": _("代码"),
    "label": _("名称"),
    "unit": _("单位（统一社会信用代码）"),
    "unit_type": _("单位类型"),
    "region": _("地区代码"),
    "cluster": _("产业集群"),
    "computed_at": _("计算时间"),
    "period": _("统计期间"),
    "as_of": _("截止日期（as_of）"),
    "through": _("计入至"),
    **METRIC_LABELS,
}


def table(data) -> tuple[list[str], list[list]]:
    """Headers and rows of a summary (dict), a breakdown or a time series (list of dicts)."""
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if isinstance(data, dict):
        flat = {k: v for k, v in data.items() if k != "scope"}
        flat = {**{k: v for k, v in flat.items() if k == "year"}, **data.get("scope", {}), **flat}
        data = [flat]
    columns = list(data[0]) if data else ["year"]
    headers = [str(_HEADERS.get(c, c)) for c in columns]
    rows = [["" if row.get(c) is None else row.get(c) for c in columns] for row in data]
    return headers, rows


class _TableRenderer(renderers.BaseRenderer):
    def _attach(self, renderer_context):
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        if response is not None and view is not None:
            name = getattr(view, "export_name", "stats")
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'


class CSVRenderer(_TableRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        self._attach(renderer_context)
        headers, rows = table(data)
        out = io.StringIO()
        writer = csv_writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese CSV correctly


class XLSXRenderer(_TableRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        self._attach(renderer_context)
        headers, rows = table(data)
        book = Workbook()
        sheet = book.active
        sheet.title = "统计"
        append_row(sheet, headers)
        for row in rows:
            append_row(sheet, row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
