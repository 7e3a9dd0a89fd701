"""Excel and CSV exports of a filtered list, through the project's one formula neutraliser
(``core.spreadsheets``): the rows of the list's table, in the list's order, every row (no paging)."""

from __future__ import annotations

import io
import tempfile

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import append_row, csv_writer

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
CHUNK = 2000


def _cell(value):
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return value


def export_response(queryset, table_class, *, fmt: str, name: str, sheet_title: str) -> FileResponse:
    """A download of ``queryset`` (already filtered and sorted) with ``table_class``'s export columns."""
    header = table_class.export_header()
    rows = (
        [_cell(value) for value in table_class.export_row(record)]
        for record in queryset.iterator(chunk_size=CHUNK)
    )
    handle = tempfile.TemporaryFile()
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=sheet_title[:31])
        append_row(sheet, header)
        for row in rows:
            append_row(sheet, row)
        book.save(handle)
        filename, content_type = f"{name}-{stamp}.xlsx", XLSX_TYPE
    else:
        # UTF-8 with a byte-order mark, so that Excel reads the Chinese text correctly.
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv_writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        text.flush()
        text.detach()
        filename, content_type = f"{name}-{stamp}.csv", CSV_TYPE
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
