"""Export in exchange format v1 (``.xlsx``, a ``.zip`` of CSV files or a folder of CSV files: one per
sheet, the registry's three and the added sheets), and the blank templates.

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
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from achievements.models import Achievement, Transformation, Unit
from core import regions, registry
from core.spreadsheets import append_row, csv_writer, neutralise

from . import format as fmt

CHUNK = 2000
ZH, EN = "zh", "en"
_MAX_EXACT_FLOAT = Decimal(10) ** 13  # amounts below this keep every digit as an Excel number


def headers(sheet: fmt.Sheet, style: str) -> list[str]:
    return [c.label if style == ZH else c.key for c in sheet.columns]


def sheet_title(sheet: fmt.Sheet, style: str) -> str:
    """The sheet's name in the workbook: its Chinese title (单位 / 科技成果 / 转化合同) in the Chinese
    style, the format's English name with English headers. The importer accepts both."""
    return sheet.title if style == ZH else sheet.name


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


def write_xlsx(target, achievements, style: str = ZH, user=None) -> None:
    """Write the export workbook to ``target`` (a path or a binary file), streaming. The sheets are
    laid out as the blank template's (header notes, frozen header row, dropdowns), so that a unit can
    edit an export and import it again."""
    with translation.override("zh-hans"):
        workbook = openpyxl.Workbook(write_only=True)
        lists = _code_lists(style)
        for sheet, rows in _sheets(achievements, _Encoder(style, typed=True)):
            worksheet = workbook.create_sheet(sheet_title(sheet, style))
            _lay_out(worksheet, sheet, style, lists)
            worksheet.append(_header_cells(worksheet, sheet, style))
            for row in rows:
                append_row(worksheet, row)
        for added in registry.exchange_sheets():  # the other apps' sheets (pilot bases, ...)
            worksheet = _added_sheet(workbook, added, style)
            for row in added.rows(user):
                append_row(worksheet, row)
        _write_codes(workbook.create_sheet(fmt.CODES_SHEET), lists)
        workbook.save(target)


def _added_header(added, style: str) -> list[str]:
    """An added sheet's header row: the Chinese labels (or the keys for English headers)."""
    return [str(label) if style == ZH else key for key, label in added.columns]


def added_sheet_title(added, style: str) -> str:
    """An added sheet's name in the workbook: its Chinese title (中试基地) in the Chinese style, its
    name in the format (pilot_bases) with English headers. The importer accepts both."""
    return str(added.title) if style == ZH else added.name


def _added_sheet(workbook, added, style: str):
    """An added sheet laid out as the registry's: the header row with a note on every column,
    frozen below the header, and the dropdowns the app declares (``ExchangeSheet.lists``)."""
    worksheet = workbook.create_sheet(added_sheet_title(added, style))
    worksheet.freeze_panes = "A2"
    lists = added.lists() if added.lists else {}
    for index, (key, label) in enumerate(added.columns, start=1):
        letter = get_column_letter(index)
        worksheet.column_dimensions[letter].width = max(16, len(str(label)) * 2 + 4)
        values = [str(v) for v in lists.get(key, ())]
        formula = ",".join(values)
        if values and len(formula) <= 250:  # Excel's limit for an inline list
            validation = DataValidation(type="list", formula1=f'"{formula}"', allow_blank=True)
            validation.error = str(_("请从下拉列表中选择。"))
            validation.add(f"{letter}2:{letter}{MAX_ROW}")
            worksheet.data_validations.append(validation)
    cells = []
    for (key, label), text in zip(added.columns, _added_header(added, style), strict=True):
        cell = WriteOnlyCell(worksheet, value=neutralise(text))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        lines = [f"{label}（{key}）"]
        if key in added.notes:
            lines.append(str(added.notes[key]))
        if key in lists:
            lines.append(str(_("请从下拉列表中选择。")))
        cell.comment = _note("\n".join(lines))
        cells.append(cell)
    worksheet.append(cells)
    return worksheet


def _example(sheet: fmt.Sheet, encoder: _Encoder) -> list:
    """The sheet's example row (``format.EXAMPLES``) written as an export writes a record."""
    row = []
    for column, value in zip(sheet.columns, fmt.EXAMPLES[sheet.name], strict=True):
        if value is None:
            row.append(None)
        elif column.kind == fmt.ENUM:
            row.append(encoder.enum(column.choices, value))
        elif column.kind == fmt.BOOL:
            row.append(encoder.boolean(value))
        elif column.kind == fmt.DATE:
            row.append(encoder.date(value))
        elif column.kind == fmt.DECIMAL:
            row.append(encoder.amount(value))
        else:
            row.append(value)
    return row


def csv_sheets(achievements, style: str = ZH, user=None):
    """(file name, header row, rows) of every CSV file of an export, in order: the registry's three
    sheets, then the added sheets other apps declare (``pilot_bases.csv``, ...) with ``user``'s rows.
    The one list of a CSV export's files, for the zip and the folder."""
    for sheet, rows in _sheets(achievements, _Encoder(style, typed=False)):
        yield f"{sheet.name}.csv", headers(sheet, style), rows
    for added in registry.exchange_sheets():
        yield f"{added.name}.csv", _added_header(added, style), added.rows(user)


def _write_csv(stream, header: list, rows) -> None:
    writer = csv_writer(stream)
    writer.writerow(header)
    writer.writerows(rows)


def write_csv_zip(target, achievements, style: str = ZH, user=None) -> None:
    """Write a ``.zip`` of the CSV files of ``csv_sheets`` (UTF-8 with BOM, so that Excel opens them
    correctly)."""
    with translation.override("zh-hans"), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows in csv_sheets(achievements, style, user):
            with archive.open(name, "w") as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                _write_csv(stream, header, rows)
                stream.flush()
                stream.detach()


def write_folder(folder, achievements, style: str = ZH, user=None) -> None:
    """Write the CSV files of ``csv_sheets`` into a folder (the command line's folder format), as the
    zip holds them."""
    with translation.override("zh-hans"):
        for name, header, rows in csv_sheets(achievements, style, user):
            with open(folder / name, "w", encoding="utf-8-sig", newline="") as stream:
                _write_csv(stream, header, rows)


def write_template(target, style: str = ZH) -> None:
    """The blank template: the three sheets, each with its header row (a note on every header
    saying the column's format), frozen below the header, a dropdown on every coded column, and one
    example row (marked, ignored by the importer); the help sheet; the hidden code lists."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    lists = _code_lists(style)
    encoder = _Encoder(style, typed=True)
    for sheet in fmt.SHEETS:
        worksheet = workbook.create_sheet(sheet_title(sheet, style))
        _lay_out(worksheet, sheet, style, lists)
        worksheet.append(_header_cells(worksheet, sheet, style))
        append_row(worksheet, _example(sheet, encoder))
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            cell = worksheet.cell(row=2, column=index)
            cell.fill = EXAMPLE_FILL
            cell.font = EXAMPLE_FONT
            if column.kind == fmt.DATE:
                cell.number_format = DATE_FORMAT
                worksheet.column_dimensions[letter].number_format = DATE_FORMAT
            elif column.kind in TEXT_KINDS:
                cell.number_format = "@"  # long digit strings stay text (an 18-digit code, a ref)
                worksheet.column_dimensions[letter].number_format = "@"
            elif column.kind == fmt.DECIMAL:
                cell.number_format = "0.00"
                worksheet.column_dimensions[letter].number_format = "0.00"
        worksheet.cell(row=2, column=1).comment = _note(
            _(
                "示例行：第一列以“%(mark)s”开头。原样保留时导入会忽略此行（预览中会注明）；"
                "如改成真实数据，请把第一列改为真实编号，否则此行会被拒绝。也可以直接删除此行。"
            )
            % {"mark": fmt.EXAMPLE_MARK}
        )
    for added in registry.exchange_sheets():  # the other apps' sheets, header only
        _added_sheet(workbook, added, style)
    help_sheet = workbook.create_sheet(fmt.HELP_SHEET[style])
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
                help_sheet,
                [sheet_title(sheet, style), column.key, column.label, required, fmt.column_format(column)],
            )
    for added in registry.exchange_sheets():
        for key, label in added.columns:
            append_row(
                help_sheet,
                [added_sheet_title(added, style), key, str(label), "", str(added.notes.get(key, ""))],
            )
    append_row(help_sheet, [])
    append_row(
        help_sheet,
        [
            _(
                "每个工作表的第 2 行是示例行（第一列以“%(mark)s”开头，浅黄色）：原样保留时导入会忽略它；"
                "请在其下方填写，或直接覆盖（此时须把第一列改为真实编号）。带下拉箭头的列请从列表中选择；"
                "地区和产业集群的列表项为“代码 名称”，导入时按代码读取。"
            )
            % {"mark": fmt.EXAMPLE_MARK}
        ],
    )
    for letter, width in zip("ABCDE", (18, 20, 24, 30, 90), strict=True):
        help_sheet.column_dimensions[letter].width = width
    _write_codes(workbook.create_sheet(fmt.CODES_SHEET), lists)
    workbook.save(target)


# --- the layout shared by the template and the exports -------------------------------------------

DATE_FORMAT = "yyyy-mm-dd"
TEXT_KINDS = (fmt.TEXT, fmt.CREDIT_CODE, fmt.REGION, fmt.PATENT_NO, fmt.CLUSTER)
EXAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")
EXAMPLE_FONT = Font(italic=True, color="7F6000")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
MAX_ROW = 1_048_576  # Excel's last row: the dropdowns cover the whole column below the header
LIST_KINDS = (fmt.ENUM, fmt.BOOL, fmt.TRL, fmt.CLUSTER, fmt.REGION)


def _note(text: str) -> Comment:
    comment = Comment(str(text), str(_("辽宁省可转化科技成果库")))
    comment.width, comment.height = 320, 160
    return comment


def column_note(column: fmt.Column, style: str) -> str:
    """The note on a header: the column in both names, whether it is required, its format."""
    required = _("必填") if column.required else (_(column.note) if column.note else _("选填"))
    lines = [f"{column.label}（{column.key}）· {required}", fmt.column_format(column)]
    if column.kind in LIST_KINDS:
        lines.append(str(_("请从下拉列表中选择。")))
    if column.kind == fmt.DATE:
        lines.append(str(_("日期单元格，或文本 YYYY-MM-DD，例如 2024-03-15；1985-01-01 至今天。")))
    elif column.kind == fmt.DECIMAL:
        lines.append(str(_("以元为单位，两位小数，例如 1250000.00（125 万元）。")))
    elif column.kind == fmt.CREDIT_CODE:
        lines.append(str(_("例如 91210211000508801L；请按文本输入，勿让 Excel 转成数字。")))
    elif column.kind == fmt.PATENT_NO:
        lines.append(
            str(_("例如 ZL201310699744.2 或 201310699744.2；校验位须正确，第五位须与知识产权类型一致。"))
        )
    return "\n".join(lines)


def _header_cells(worksheet, sheet: fmt.Sheet, style: str) -> list:
    """The header row as styled cells with their notes (works in write-only mode too)."""
    cells = []
    for column, text in zip(sheet.columns, headers(sheet, style), strict=True):
        cell = WriteOnlyCell(worksheet, value=neutralise(text))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.comment = _note(column_note(column, style))
        cells.append(cell)
    return cells


def _lay_out(worksheet, sheet: fmt.Sheet, style: str, lists: dict) -> None:
    """Column widths, the frozen header row and the dropdowns of a data sheet (before any row is
    written: write-only sheets take their layout first)."""
    worksheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        width = 30 if column.kind == fmt.REGION else 24 if column.max_length >= 200 else 16
        worksheet.column_dimensions[letter].width = max(width, len(column.label) * 2 + 4)
        validation = _validation(column, style, lists)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{MAX_ROW}")
            worksheet.data_validations.append(validation)


def _validation(column: fmt.Column, style: str, lists: dict) -> DataValidation | None:
    title = column.label if style == ZH else column.key
    if column.kind in LIST_KINDS:
        source = lists[_list_name(column)]
        if not source["values"]:
            return None  # (no active cluster: an empty list would refuse every value)
        # Regions and clusters: a bare code typed by hand is accepted too (a warning, not a stop).
        strict = column.kind not in (fmt.CLUSTER, fmt.REGION)
        validation = DataValidation(
            type="list",
            formula1=source["range"],
            allow_blank=True,
            errorStyle="stop" if strict else "warning",
        )
        validation.error = str(_("请从下拉列表中选择。"))
    elif column.kind == fmt.DATE:
        validation = DataValidation(
            type="date", operator="between", formula1="DATE(1985,1,1)", formula2="TODAY()", allow_blank=True
        )
        validation.errorStyle = "warning"
        validation.error = str(_("日期应在 1985-01-01 至今天之间，格式 YYYY-MM-DD。"))
    elif column.kind == fmt.DECIMAL:
        validation = DataValidation(
            type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
        validation.errorStyle = "warning"
        validation.error = str(_("金额应为不小于 0 的数字（元），最多两位小数。"))
    else:
        return None
    validation.showErrorMessage = True
    validation.errorTitle = title[:32]
    validation.promptTitle = title[:32]
    validation.prompt = fmt.column_format(column)[:255]
    validation.showInputMessage = True
    return validation


def _list_name(column: fmt.Column) -> str:
    if column.kind == fmt.ENUM:
        return column.choices.__name__
    return column.kind


def _code_lists(style: str) -> dict[str, dict]:
    """The dropdowns' lists: name -> {"title", "values", "range"}, each a column of the hidden
    代码表 sheet. Enumerations by their Chinese labels (English keys with English headers), yes/no,
    TRL 1–9, the managed clusters as "code name", and the administrative divisions (GB/T 2260) as
    "code name": Liaoning's first, then the other provinces' (the importer reads the code)."""
    lists: dict[str, dict] = {}

    def add(name: str, title: str, values: list) -> None:
        lists[name] = {"title": title, "values": values}

    for sheet in fmt.SHEETS:
        for column in sheet.columns:
            if column.kind == fmt.ENUM and _list_name(column) not in lists:
                labels = fmt.chinese_labels(column.choices)
                values = list(labels.values()) if style == ZH else list(labels)
                add(_list_name(column), f"{sheet.title}·{column.label}", values)
    add(fmt.BOOL, "是/否", ["是", "否"] if style == ZH else ["yes", "no"])
    add(fmt.TRL, "技术成熟度", list(range(1, 10)))
    add(fmt.CLUSTER, "产业集群", [f"{code} {name}" for code, name in _clusters()])
    add(fmt.REGION, "地区", region_choices())
    for number, entry in enumerate(lists.values(), start=1):
        letter = get_column_letter(number)
        entry["range"] = f"'{fmt.CODES_SHEET}'!${letter}$2:${letter}${len(entry['values']) + 1}"
    return lists


def _clusters() -> list[tuple[str, str]]:
    from achievements.models import Cluster

    return list(Cluster.objects.filter(is_active=True).order_by("code").values_list("code", "name"))


def region_choices() -> list[str]:
    """Every division as "code full name", Liaoning's first (where most transferees are)."""
    divisions = sorted(regions.all_divisions(), key=lambda d: (not d.is_liaoning, d.code))
    return [f"{d.code} {d.label}" for d in divisions]


def _write_codes(worksheet, lists: dict) -> None:
    """The hidden code-list sheet: one column per list, its title in row 1."""
    columns = list(lists.values())
    height = max(len(entry["values"]) for entry in columns)
    append_row(worksheet, [entry["title"] for entry in columns])
    for index in range(height):
        append_row(
            worksheet, [entry["values"][index] if index < len(entry["values"]) else None for entry in columns]
        )
    worksheet.sheet_state = "hidden"
