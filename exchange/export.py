"""Export in exchange format v1 (``.xlsx`` or a ``.zip`` of three CSV files), and the blank templates.

An export holds the given achievements, their units and their contracts, written so that importing
the file again changes nothing. Rows are streamed from the database (``iterator``) into openpyxl's
write-only mode or the CSV writer, so memory stays flat for any size. Text cells that a spreadsheet
would run as a formula are neutralised with a leading ``'`` (``core.spreadsheets``, the project's
one neutraliser, through its row writers), which the importer removes again.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from achievements.models import Achievement, Transformation, Unit
from core.spreadsheets import append_row, csv_writer

from . import format as fmt

CHUNK = 2000
ZH, EN = "zh", "en"
_MAX_EXACT_FLOAT = Decimal(10) ** 13  # amounts below this keep every digit as an Excel number


def headers(sheet: fmt.Sheet, style: str) -> list[str]:
    return [c.label if style == ZH else c.key for c in sheet.columns]


class _Encoder:
    """Stored values -> cells, in the header style's language (Chinese labels or English keys)."""

    def __init__(self, style: str, typed: bool):
        self.style = style
        self.typed = typed  # xlsx keeps dates and numbers typed; CSV writes text

    def enum(self, choices, value: str) -> str:
        return fmt.chinese_labels(choices)[value] if self.style == ZH else value

    def boolean(self, value: bool) -> str:
        return fmt.YES_NO[bool(value)][1 if self.style == ZH else 0]

    def date(self, value: datetime.date | None):
        if value is None:
            return None
        return value if self.typed else value.isoformat()

    def amount(self, value: Decimal | None):
        if value is None:
            return None
        if self.typed and value < _MAX_EXACT_FLOAT:
            return value
        return f"{value:.2f}"

    @staticmethod
    def text(value: str | None):
        return value or None  # neutralised by the row writer


def _sheets(achievements, encoder: _Encoder):
    """(sheet, rows) for the three sheets; the rows are generators reading in chunks."""
    from achievements.choices import (
        AchievementStatus,
        IPType,
        TransformationMode,
        TransformationStatus,
        UnitType,
    )

    text, enum, boolean, date, amount = (
        encoder.text,
        encoder.enum,
        encoder.boolean,
        encoder.date,
        encoder.amount,
    )
    ids = achievements.values("pk")

    def units():
        qs = Unit.objects.filter(pk__in=achievements.values("unit_id")).order_by("code")
        for code, name, type_, region in qs.values_list("code", "name", "type", "region").iterator(CHUNK):
            yield [text(code), text(name), enum(UnitType, type_), text(region)]

    def achievement_rows():
        qs = Achievement.objects.filter(pk__in=ids).order_by("unit__code", "ref")
        fields = (
            "ref",
            "unit__code",
            "title",
            "ip_type",
            "patent_no",
            "trl",
            "cluster__code",
            "funded",
            "registered_on",
            "ip_granted_on",
            "convertible",
            "status",
            "withdrawn_on",
        )
        for r in qs.values_list(*fields).iterator(CHUNK):
            yield [
                text(r[0]),
                text(r[1]),
                text(r[2]),
                enum(IPType, r[3]),
                text(r[4]),
                r[5],
                text(r[6]),
                boolean(r[7]),
                date(r[8]),
                date(r[9]),
                boolean(r[10]),
                enum(AchievementStatus, r[11]),
                date(r[12]),
            ]

    def transformation_rows():
        qs = Transformation.objects.filter(achievement_id__in=ids).order_by("unit__code", "ref")
        fields = (
            "ref",
            "unit__code",
            "achievement__ref",
            "mode",
            "transferee__name",
            "transferee__code",
            "transferee__region",
            "signed_on",
            "amount",
            "received",
            "status",
        )
        for r in qs.values_list(*fields).iterator(CHUNK):
            yield [
                text(r[0]),
                text(r[1]),
                text(r[2]),
                enum(TransformationMode, r[3]),
                text(r[4]),
                text(r[5]),
                text(r[6]),
                date(r[7]),
                amount(r[8]),
                amount(r[9]),
                enum(TransformationStatus, r[10]),
            ]

    return (
        (fmt.UNITS, units()),
        (fmt.ACHIEVEMENTS, achievement_rows()),
        (fmt.TRANSFORMATIONS, transformation_rows()),
    )


def write_xlsx(target, achievements, style: str = ZH) -> None:
    """Write the export workbook to ``target`` (a path or a binary file), streaming."""
    with translation.override("zh-hans"):
        workbook = openpyxl.Workbook(write_only=True)
        for sheet, rows in _sheets(achievements, _Encoder(style, typed=True)):
            worksheet = workbook.create_sheet(sheet.name)
            append_row(worksheet, headers(sheet, style))
            for row in rows:
                append_row(worksheet, row)
        workbook.save(target)


def write_csv_zip(target, achievements, style: str = ZH) -> None:
    """Write a ``.zip`` of ``units.csv``, ``achievements.csv`` and ``transformations.csv`` (UTF-8 with
    BOM, so that Excel opens them correctly)."""
    with translation.override("zh-hans"), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet, rows in _sheets(achievements, _Encoder(style, typed=False)):
            with archive.open(f"{sheet.name}.csv", "w") as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv_writer(stream)
                writer.writerow(headers(sheet, style))
                writer.writerows(rows)
                stream.flush()
                stream.detach()


def write_folder(folder, achievements, style: str = ZH) -> None:
    """Write the three CSV files into a folder (the command line's folder format)."""
    with translation.override("zh-hans"):
        for sheet, rows in _sheets(achievements, _Encoder(style, typed=False)):
            with open(folder / f"{sheet.name}.csv", "w", encoding="utf-8-sig", newline="") as stream:
                writer = csv_writer(stream)
                writer.writerow(headers(sheet, style))
                writer.writerows(rows)


def write_template(target, style: str = ZH) -> None:
    """A blank workbook: the three sheets with their header row, and a help sheet."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet in fmt.SHEETS:
        worksheet = workbook.create_sheet(sheet.name)
        append_row(worksheet, headers(sheet, style))
        for index, column in enumerate(sheet.columns, start=1):
            worksheet.cell(row=1, column=index).font = bold
            worksheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.label) * 2 + 4)
        worksheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("说明" if style == ZH else "help")
    append_row(
        help_sheet,
        [_("交换格式 v1：每个工作表第一行为表头，可使用英文键名或中文表头；未知列会导致整个文件被拒绝。")],
    )
    append_row(
        help_sheet,
        [_("日期格式 YYYY-MM-DD；金额以元为单位，最多两位小数；枚举值可填英文键名或中文名称。")],
    )
    append_row(help_sheet, [])
    append_row(help_sheet, [_("工作表"), _("英文键名"), _("中文表头"), _("是否必填"), _("格式与取值")])
    for cell in help_sheet[4]:
        cell.font = bold
    for sheet in fmt.SHEETS:
        for column in sheet.columns:
            required = _("必填") if column.required else (_(column.note) if column.note else _("选填"))
            append_row(
                help_sheet, [sheet.name, column.key, column.label, required, fmt.column_format(column)]
            )
    for letter, width in zip("ABCDE", (18, 20, 24, 30, 90), strict=True):
        help_sheet.column_dimensions[letter].width = width
    workbook.save(target)
