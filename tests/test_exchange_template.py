"""The import template a clerk fills: Chinese sheet names (English ones still accepted), a dropdown
on every coded column fed from the hidden 代码表 sheet, a frozen header row with a note on every
header, and one marked example row that the importer ignores (and refuses once edited); the preview
names records and shows the changed fields; sheets and columns in messages in the user's language;
exports laid out the same and still round-trippable."""

import io
import zipfile

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl.utils import get_column_letter

from achievements.choices import IPType, TransformationMode, UnitType
from achievements.models import Achievement, Cluster, Transformation
from core import regions, registry
from exchange import export
from exchange import format as fmt
from exchange.models import ImportJob
from exchange.presentation import change_rows, problem_rows
from exchange.services import registry_import

from .factories import AchievementFactory, TransformationFactory
from .test_exchange_import import achievement_row, contract_row, headers, unit_row

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEETS = {"zh": ["单位", "科技成果", "转化合同"], "en": ["units", "achievements", "transformations"]}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def template_book(style="zh") -> openpyxl.Workbook:
    handle = io.BytesIO()
    export.write_template(handle, style)
    handle.seek(0)
    return openpyxl.load_workbook(handle)


def list_values(book, formula: str) -> list:
    """The values of a dropdown's source range (``'代码表'!$B$2:$B$9``)."""
    sheet_part, _sep, cells = formula.partition("!")
    assert sheet_part == f"'{fmt.CODES_SHEET}'"
    start, end = cells.replace("$", "").split(":")
    column = start.rstrip("0123456789")
    assert column == end.rstrip("0123456789")
    first, last = int(start[len(column) :]), int(end[len(column) :])
    sheet = book[fmt.CODES_SHEET]
    return [sheet[f"{column}{row}"].value for row in range(first, last + 1)]


def validations_by_column(worksheet) -> dict[str, object]:
    found = {}
    for validation in worksheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            assert cell_range.min_row == 2 and cell_range.max_row == export.MAX_ROW
            assert cell_range.min_col == cell_range.max_col
            found[get_column_letter(cell_range.min_col)] = validation
    return found


def filled_template(
    tmp_path, rows: dict[str, list[list]], *, keep_examples=True, style="zh", name="filled.xlsx"
):
    """The blank template with rows written below (or over) the example row, as a clerk would."""
    book = template_book(style)
    for index, sheet in enumerate(fmt.SHEETS):
        worksheet = book[DATA_SHEETS[style][index]]
        start = 3 if keep_examples else 2
        for offset, row in enumerate(rows.get(sheet.name, [])):
            for column, value in enumerate(row, start=1):
                worksheet.cell(row=start + offset, column=column, value=value if value != "" else None)
    path = tmp_path / name
    book.save(path)
    return path


# --- the blank template ------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["zh", "en"])
def test_the_template_has_its_sheet_names_a_frozen_header_and_a_note_on_every_header(style):
    book = template_book(style)
    # the other apps' added sheets (pilot bases, ...) follow the registry's, named in the style
    added = [str(s.title) if style == "zh" else s.name for s in registry.exchange_sheets()]
    assert book.sheetnames == [*DATA_SHEETS[style], *added, fmt.HELP_SHEET[style], fmt.CODES_SHEET]
    assert book[fmt.CODES_SHEET].sheet_state == "hidden"
    assert all(book[name].sheet_state == "visible" for name in DATA_SHEETS[style])
    for sheet, name in zip(fmt.SHEETS, DATA_SHEETS[style], strict=True):
        worksheet = book[name]
        assert worksheet.freeze_panes == "A2"
        assert [c.value for c in worksheet[1]] == export.headers(sheet, style)
        for column, cell in zip(sheet.columns, worksheet[1], strict=True):
            assert cell.comment is not None, (name, column.key)
            note = cell.comment.text
            assert column.label in note and column.key in note
            assert ("必填" in note) == column.required or column.note  # required or the condition
            assert fmt.column_format(column) in note


def test_the_notes_say_the_date_amount_credit_code_and_patent_formats():
    book = template_book()
    notes = {
        cell.value: cell.comment.text for name in DATA_SHEETS["zh"] for cell in book[name][1] if cell.comment
    }
    assert "YYYY-MM-DD" in notes["登记日期"] and "1985-01-01" in notes["签订日期"]
    assert "两位小数" in notes["合同金额（元）"] and "元" in notes["到账金额（元）"]
    assert "18位统一社会信用代码" in notes["统一社会信用代码"] and "校验码" in notes["受让方统一社会信用代码"]
    assert "201310699744.2" in notes["专利号"]


@pytest.mark.parametrize("style", ["zh", "en"])
def test_every_coded_column_has_a_dropdown_with_exactly_the_values_the_importer_takes(style):
    Cluster.objects.update_or_create(
        code="Z99", defaults={"name": "测试集群", "base": "equipment", "is_active": False}
    )
    book = template_book(style)
    expected_enums = {
        UnitType: ["高校", "科研院所", "企业", "其他"] if style == "zh" else list(UnitType.values),
        IPType: [fmt.chinese_labels(IPType)[v] for v in IPType.values]
        if style == "zh"
        else list(IPType.values),
        TransformationMode: (
            [fmt.chinese_labels(TransformationMode)[v] for v in TransformationMode.values]
            if style == "zh"
            else list(TransformationMode.values)
        ),
    }
    active = Cluster.objects.filter(is_active=True).order_by("code")
    for sheet, name in zip(fmt.SHEETS, DATA_SHEETS[style], strict=True):
        validations = validations_by_column(book[name])
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            validation = validations.get(letter)
            if column.kind not in export.LIST_KINDS:
                if column.kind in (fmt.DATE, fmt.DECIMAL):
                    assert validation is not None and validation.type in ("date", "decimal")
                else:
                    assert validation is None, column.key
                continue
            assert validation is not None and validation.type == "list", column.key
            values = list_values(book, validation.formula1)
            if column.kind == fmt.ENUM:
                labels = fmt.chinese_labels(column.choices)
                assert values == (list(labels.values()) if style == "zh" else list(labels))
                if column.choices in expected_enums:
                    assert values == expected_enums[column.choices]
                assert validation.errorStyle == "stop"
            elif column.kind == fmt.BOOL:
                assert values == (["是", "否"] if style == "zh" else ["yes", "no"])
            elif column.kind == fmt.TRL:
                assert values == list(range(1, 10))
            elif column.kind == fmt.CLUSTER:
                assert values == [f"{c.code} {c.name}" for c in active] and "Z99 测试集群" not in values
                assert validation.errorStyle == "warning"  # a bare code typed by hand is fine too
            elif column.kind == fmt.REGION:
                assert values[0] == "210000 辽宁省" and "210200 辽宁省大连市" in values
                assert "210211 辽宁省大连市甘井子区" in values and "110108 北京市海淀区" in values
                assert len(values) == len(regions.all_divisions())
                liaoning = [v for v in values if v.startswith("21")]
                assert values[: len(liaoning)] == liaoning  # Liaoning's divisions first


def test_every_dropdown_entry_is_read_by_the_importer(tmp_path, unit):
    """Each list value of each coded column, put in a row, parses (regions and clusters as their code)."""
    from exchange.cells import PARSERS

    book = template_book()
    for sheet, name in zip(fmt.SHEETS, DATA_SHEETS["zh"], strict=True):
        validations = validations_by_column(book[name])
        for index, column in enumerate(sheet.columns, start=1):
            validation = validations.get(get_column_letter(index))
            if column.kind not in export.LIST_KINDS:
                continue
            values = list_values(book, validation.formula1)
            sample = values if column.kind != fmt.REGION else values[:: max(len(values) // 200, 1)]
            for value in sample:
                parsed = PARSERS[column.kind](value, column)
                if column.kind == fmt.REGION:
                    assert parsed == value.split(" ")[0]
                elif column.kind == fmt.CLUSTER:
                    assert Cluster.objects.filter(code=parsed).exists()


def test_a_region_or_cluster_picked_from_the_dropdown_is_stored_as_its_code(tmp_path, unit, staff_user):
    path = filled_template(
        tmp_path,
        {
            "achievements": [achievement_row(unit.code, cluster="A01 高档数控机床")],
            "transformations": [contract_row(unit.code, transferee_region="210211 辽宁省大连市甘井子区")],
        },
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    contract = Transformation.objects.select_related("transferee", "achievement__cluster").get(ref="HT-1")
    assert contract.transferee.region == "210211" and contract.achievement.cluster.code == "A01"


def test_a_region_whose_name_does_not_match_its_code_is_refused(tmp_path, unit):
    path = filled_template(
        tmp_path, {"units": [unit_row(unit, region="210200 辽宁省沈阳市")]}, name="wrong-region.xlsx"
    )
    result = registry_import(source=path, dry_run=True)
    problem = next(p for p in result.problems if p["sheet"] == "units")
    assert problem["row"] == 3 and problem["column"] == "所在地区代码"
    assert "210200" in problem["message"] and "辽宁省沈阳市" in problem["message"]


# --- the example row -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["zh", "en"])
def test_the_example_row_is_marked_and_a_blank_template_imports_as_nothing(style, tmp_path):
    book = template_book(style)
    for name in DATA_SHEETS[style]:
        first = book[name]["A2"]
        assert str(first.value).startswith(fmt.EXAMPLE_MARK)
        assert first.comment is not None and fmt.EXAMPLE_MARK in first.comment.text
        assert first.fill.fgColor.rgb.endswith("FFF2CC")
    path = tmp_path / "blank.xlsx"
    book.save(path)
    result = registry_import(source=path, dry_run=True)
    assert result.valid and result.rows == 0 and result.change_count == 0
    assert result.examples == [{"sheet": s.name, "row": 2} for s in fmt.SHEETS]


def test_rows_below_the_example_are_imported_and_the_example_is_not(tmp_path, unit, staff_user):
    path = filled_template(
        tmp_path,
        {"achievements": [achievement_row(unit.code)], "transformations": [contract_row(unit.code)]},
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert result.counts["achievements"]["add"] == 1 and result.counts["transformations"]["add"] == 1
    assert [e["sheet"] for e in result.examples] == ["units", "achievements", "transformations"]
    assert list(Achievement.objects.values_list("ref", flat=True)) == ["CG-1"]
    assert not Achievement.objects.filter(ref__startswith=fmt.EXAMPLE_MARK).exists()


def test_an_example_row_saved_again_by_excel_is_still_recognised(tmp_path):
    """Excel turns the text cells it can into numbers or dates; the comparison is of parsed values."""
    book = template_book()
    sheet = book["科技成果"]
    sheet["F2"].value = "6"  # TRL typed as text
    sheet["I2"].value = "2024-03-15"  # the date typed as text
    path = tmp_path / "resaved.xlsx"
    book.save(path)
    result = registry_import(source=path, dry_run=True)
    assert result.valid and len(result.examples) == 3


@pytest.mark.parametrize(
    ("column", "value"), [("title", "本单位真实的成果名称"), ("trl", 8), ("registered_on", "2023-12-01")]
)
def test_an_edited_example_row_is_refused_not_dropped(tmp_path, unit, column, value):
    book = template_book()
    worksheet = book["科技成果"]
    worksheet.cell(row=2, column=fmt.ACHIEVEMENTS.index[column] + 1, value=value)
    path = tmp_path / "edited.xlsx"
    book.save(path)
    result = registry_import(source=path)
    assert not result.valid
    problem = next(p for p in result.problems if p["sheet"] == "achievements")
    assert (problem["row"], problem["column"]) == (2, "成果编号")
    assert problem["value"].startswith(fmt.EXAMPLE_MARK)
    assert "示例行" in problem["message"] and "已被修改" in problem["message"]
    assert not result.examples[1:2] or result.examples[1]["sheet"] != "achievements"
    assert not Achievement.objects.exists()


def test_an_example_row_overwritten_with_real_data_is_imported(tmp_path, unit, staff_user):
    path = filled_template(
        tmp_path,
        {"achievements": [achievement_row(unit.code, ref="CG-REAL")], "transformations": []},
        keep_examples=False,
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert Achievement.objects.filter(ref="CG-REAL").exists()
    assert {e["sheet"] for e in result.examples} == {"units", "transformations"}


def test_a_unit_row_edited_below_the_marker_is_refused(tmp_path, unit):
    book = template_book()
    book["单位"]["B2"].value = "大连理工测试大学"
    path = tmp_path / "unit.xlsx"
    book.save(path)
    result = registry_import(source=path, dry_run=True)
    assert [(p["sheet"], p["row"], p["column"]) for p in result.problems] == [
        ("units", 2, "统一社会信用代码")
    ]


# --- sheet names on import -------------------------------------------------------------------------


def workbook_named(tmp_path, names: dict[str, str], rows: dict[str, list[list]], name="named.xlsx"):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in fmt.SHEETS:
        worksheet = book.create_sheet(names[sheet.name])
        worksheet.append(headers(sheet))
        for row in rows.get(sheet.name, []):
            worksheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


@pytest.mark.parametrize(
    "names",
    [
        {"units": "单位", "achievements": "科技成果", "transformations": "转化合同"},
        {"units": "units", "achievements": "achievements", "transformations": "transformations"},
        {"units": " Units ", "achievements": "科技成果", "transformations": "TRANSFORMATIONS"},
    ],
    ids=["chinese", "english", "mixed"],
)
def test_chinese_and_english_sheet_names_are_both_accepted(tmp_path, unit, staff_user, names):
    path = workbook_named(
        tmp_path,
        names,
        {"achievements": [achievement_row(unit.code)], "transformations": [contract_row(unit.code)]},
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert result.counts["achievements"]["add"] == 1 and result.counts["transformations"]["add"] == 1


def test_csv_files_may_be_named_in_chinese(tmp_path, unit, staff_user):
    import csv

    path = tmp_path / "registry.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for sheet, rows in (
            (fmt.UNITS, []),
            (fmt.ACHIEVEMENTS, [achievement_row(unit.code)]),
            (fmt.TRANSFORMATIONS, [contract_row(unit.code)]),
        ):
            text = io.StringIO()
            csv.writer(text).writerows([headers(sheet), *rows])
            archive.writestr(f"{sheet.title}.csv", text.getvalue().encode("utf-8-sig"))
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert Transformation.objects.filter(ref="HT-1").exists()


def test_one_sheet_under_both_names_is_a_file_problem(tmp_path, unit):
    path = workbook_named(
        tmp_path, {"units": "单位", "achievements": "科技成果", "transformations": "转化合同"}, {}
    )
    book = openpyxl.load_workbook(path)
    book.create_sheet("achievements").append(headers(fmt.ACHIEVEMENTS))
    book.save(path)
    result = registry_import(source=path, dry_run=True)
    assert "两个“科技成果”工作表" in result.file_problem and "achievements" in result.file_problem


def test_a_missing_sheet_is_named_in_both_languages(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "单位"
    book.active.append(headers(fmt.UNITS))
    path = tmp_path / "one.xlsx"
    book.save(path)
    messages = [p["message"] for p in registry_import(source=path, dry_run=True).problems]
    assert any("科技成果" in m and "achievements" in m for m in messages)


# --- messages in the user's language ----------------------------------------------------------------


def problems_in(language, tmp_path, unit, stranger):
    path = workbook_named(
        tmp_path,
        {"units": "单位", "achievements": "科技成果", "transformations": "转化合同"},
        {
            "achievements": [
                achievement_row(stranger, ref="CG-9"),
                achievement_row(unit.code, registered_on="2023/1/5"),
            ],
            "transformations": [contract_row(unit.code, achievement_ref="NOPE")],
        },
        name=f"bad-{language}.xlsx",
    )
    with translation.override(language):
        result = registry_import(source=path, dry_run=True)
        return problem_rows(result.problems)


def test_problems_name_sheets_and_columns_in_chinese(tmp_path, unit):
    from exchange.samples import credit_code

    rows = problems_in("zh-hans", tmp_path, unit, credit_code(777, "210200", "12"))
    shown = {(p["sheet_label"], p["row"], p["column_label"]) for p in rows}
    assert ("科技成果", 2, "完成单位代码") in shown
    assert ("科技成果", 3, "登记日期") in shown
    assert ("转化合同", 2, "成果编号") in shown
    unknown_unit = next(p for p in rows if p["row"] == 2 and p["sheet"] == "achievements")
    assert "“单位”表" in unknown_unit["message"] and "units" not in unknown_unit["message"]
    missing = next(p for p in rows if p["sheet"] == "transformations")
    assert "“科技成果”表" in missing["message"] and "achievements" not in missing["message"]


def test_problems_name_sheets_and_columns_in_english(tmp_path, unit):
    from exchange.samples import credit_code

    rows = problems_in("en", tmp_path, unit, credit_code(777, "210200", "12"))
    with translation.override("en"):
        rows = problem_rows([{k: v for k, v in p.items() if not k.endswith("_label")} for p in rows])
    shown = {(p["sheet_label"], p["row"], p["column_label"]) for p in rows}
    assert ("achievements", 2, "unit_code") in shown
    assert ("achievements", 3, "registered_on") in shown
    assert ("transformations", 2, "achievement_ref") in shown
    unknown_unit = next(p for p in rows if p["row"] == 2 and p["sheet"] == "achievements")
    assert "units" in unknown_unit["message"] and "单位”表" not in unknown_unit["message"]
    missing = next(p for p in rows if p["sheet"] == "transformations")
    assert "achievements" in missing["message"] and "科技成果" not in missing["message"]


def test_an_unknown_column_is_shown_as_the_file_wrote_it():
    rows = problem_rows(
        [{"sheet": "achievements", "row": 1, "column": "备注", "value": "备注", "message": "x"}]
    )
    assert rows[0]["column_label"] == "备注" and rows[0]["sheet_label"] == "科技成果"


def upload(client, path):
    with open(path, "rb") as handle:
        data = SimpleUploadedFile(path.name, handle.read(), content_type=XLSX)
    return client.post(reverse("exchange:import_upload"), {"file": data})


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("zh-hans", ["科技成果", "登记日期", "转化合同", "成果编号"], ["registered_on", "achievement_ref"]),
        (
            "en",
            ["achievements", "registered_on", "transformations", "achievement_ref"],
            ["登记日期", "转化合同"],
        ),
    ],
)
def test_the_problem_table_speaks_the_users_language(unit_client, unit, tmp_path, language, expected, absent):
    unit_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    path = workbook_named(
        tmp_path,
        {"units": "单位", "achievements": "科技成果", "transformations": "转化合同"},
        {
            "achievements": [achievement_row(unit.code, registered_on="2023/1/5")],
            "transformations": [contract_row(unit.code, achievement_ref="NOPE")],
        },
    )
    response = upload(unit_client, path)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == "invalid" and job.language == language
    table = unit_client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    errors = table[table.index('class="data errors"') :]
    for text in expected:
        assert f"<td>{text}</td>" in errors, text
    for text in absent:
        assert f"<td>{text}</td>" not in errors, text


# --- the preview names records ---------------------------------------------------------------------


def test_the_preview_shows_titles_and_the_changed_fields(unit_client, unit, tmp_path):
    existing = AchievementFactory(unit=unit, ref="CG-OLD", title="一种旧的成果名称", trl=4, status="active")
    path = filled_template(
        tmp_path,
        {
            "achievements": [
                achievement_row(unit.code, ref="CG-NEW", title="一种全新的海水淡化膜", convertible="否"),
                achievement_row(
                    unit.code,
                    ref="CG-OLD",
                    title="一种新的成果名称",
                    ip_type=existing.ip_type,
                    patent_no=existing.patent_no,
                    trl=existing.trl,
                    cluster=existing.cluster.code if existing.cluster else "",
                    funded="是" if existing.funded else "否",
                    registered_on=existing.registered_on.isoformat(),
                    ip_granted_on=existing.ip_granted_on.isoformat() if existing.ip_granted_on else "",
                    convertible="是" if existing.convertible else "否",
                ),
            ],
            "transformations": [
                contract_row(unit.code, ref="HT-NEW", achievement_ref="CG-NEW"),
                contract_row(unit.code, ref="HT-REG", achievement_ref="CG-OLD"),
            ],
        },
    )
    upload(unit_client, path)
    job = ImportJob.objects.get()
    assert job.status == "preview_ready", job.errors
    page = unit_client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    assert "一种全新的海水淡化膜" in page
    assert "HT-NEW · 一种全新的海水淡化膜 · 大连某某科技有限公司" in page  # achievement of the file
    assert "HT-REG · 一种新的成果名称" in page  # sampled in the file too: the file's new title
    assert "成果名称：一种旧的成果名称 → 一种新的成果名称" in page
    assert 'id="ignored-examples"' in page and "科技成果 第 2 行" in page


def test_a_contract_of_a_registered_achievement_is_named_by_its_title(unit, staff_user, tmp_path):
    AchievementFactory(unit=unit, ref="CG-1", title="一种在库中的成果")
    path = filled_template(tmp_path, {"transformations": [contract_row(unit.code)]})
    result = registry_import(source=path, dry_run=True)
    from exchange.services import name_changes

    change = next(c for c in name_changes(result.changes) if c["sheet"] == "transformations")
    assert change["achievement_title"] == "一种在库中的成果"
    assert change_rows([change])[0]["name"] == "HT-1 · 一种在库中的成果 · 大连某某科技有限公司"


def test_changed_enumerations_are_shown_by_their_label():
    change = {
        "sheet": "achievements",
        "key": "X / CG-1",
        "title": "t",
        "fields": [["状态", "active", "withdrawn"]],
    }
    with translation.override("zh-hans"):
        assert change_rows([change])[0]["fields"] == [("状态", "有效", "已撤回")]
    with translation.override("en"):
        assert change_rows([change])[0]["fields"] == [("status", "active", "withdrawn")]


# --- exports --------------------------------------------------------------------------------------


def test_an_export_is_laid_out_like_the_template_and_reimports_to_no_change(staff_client, unit, tmp_path):
    AchievementFactory.create_batch(3, unit=unit)
    TransformationFactory(achievement=Achievement.objects.first(), transferee__name="=cmd|' /C calc'!A0")
    response = staff_client.get(reverse("exchange:export_xlsx"))
    data = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(data))
    # the registry's sheets first, then the sheets other apps add (core.registry), the code lists last
    assert book.sheetnames[:3] == DATA_SHEETS["zh"] and book.sheetnames[-1] == fmt.CODES_SHEET
    for sheet, name in zip(fmt.SHEETS, DATA_SHEETS["zh"], strict=True):
        worksheet = book[name]
        assert worksheet.freeze_panes == "A2"
        assert all(cell.comment is not None for cell in worksheet[1])  # header notes
        assert [c.value for c in worksheet[1]] == export.headers(sheet, "zh")
        assert validations_by_column(worksheet)
    mode = validations_by_column(book["转化合同"])[get_column_letter(fmt.TRANSFORMATIONS.index["mode"] + 1)]
    assert list_values(book, mode.formula1) == list(fmt.chinese_labels(TransformationMode).values())
    names = [row[4] for row in book["转化合同"].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in names  # neutralised
    assert all(c.data_type != "f" for name in book.sheetnames for row in book[name].iter_rows() for c in row)
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    result = registry_import(source=path, dry_run=True)
    assert result.valid, result.problems
    assert result.change_count == 0 and result.counts["achievements"]["unchanged"] == 3
    assert result.examples == []


def test_english_header_exports_keep_the_english_sheet_names(staff_client, unit, tmp_path):
    AchievementFactory(unit=unit)
    data = b"".join(staff_client.get(reverse("exchange:export_xlsx") + "?headers=en").streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:3] == DATA_SHEETS["en"] and book.sheetnames[-1] == fmt.CODES_SHEET
    path = tmp_path / "en.xlsx"
    path.write_bytes(data)
    assert registry_import(source=path, dry_run=True).change_count == 0


def test_the_template_page_serves_the_chinese_template(unit_client):
    response = unit_client.get(reverse("exchange:template", args=["zh"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames[:3] == DATA_SHEETS["zh"]


def test_without_active_clusters_the_cluster_column_has_no_dropdown():
    Cluster.objects.update(is_active=False)
    book = template_book()
    letter = get_column_letter(fmt.ACHIEVEMENTS.index["cluster"] + 1)
    assert letter not in validations_by_column(book["科技成果"])
    assert get_column_letter(fmt.ACHIEVEMENTS.index["trl"] + 1) in validations_by_column(book["科技成果"])
