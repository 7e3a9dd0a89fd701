"""The pilot sheets (``pilot_bases`` / 中试基地, ``pilot_funds`` / 中试基地资金) through the normal
exchange import (page, job flow, ``import_registry``) and the exports: validated with the registry's
sheets, shown in the preview by sheet, row and column in the user's language, written all or nothing
on confirm, the pilots' own rights applying (docs/pilots.md, docs/exchange-format.md)."""

import io
import zipfile
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from achievements.models import Achievement, Unit
from exchange import format as fmt
from exchange import presentation
from exchange.models import ImportJob, ImportStatus
from exchange.samples import build_workbook
from exchange.services import registry_import
from pilots import services
from pilots.exchange_sheets import BASE_COLUMNS, FUND_COLUMNS
from pilots.models import BaseFund, PilotBase

from .factories import make_credit_code
from .pilot_factories import make_base
from .test_exchange_import import achievement_row, headers, unit_row
from .test_i18n import english_catalogue_compiled  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE_HEADER = [str(label) for _key, label in BASE_COLUMNS]
FUND_HEADER = [str(label) for _key, label in FUND_COLUMNS]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def base_row(
    code, operator, *, name="导入基地", city="210200", area=500, staff=2, services_="testing", **more
):
    row = {
        "code": code,
        "name": name,
        "operator": operator.code,
        "city": city,
        "clusters": "A01",
        "designated_year": 2023,
        "status": "active",
        "site_area_m2": area,
        "equipment_count": 3,
        "staff_count": staff,
        "services": services_,
    }
    row.update(more)
    return [row.get(key) for key, _label in BASE_COLUMNS]


def pilot_file(
    tmp_path,
    unit,
    *,
    bases=(),
    funds=(),
    achievements=(),
    name="pilots.xlsx",
    titles=("中试基地", "中试基地资金"),
):
    sheets = {
        "单位": [headers(fmt.UNITS), unit_row(unit)],
        "科技成果": [headers(fmt.ACHIEVEMENTS), *achievements],
        "转化合同": [headers(fmt.TRANSFORMATIONS)],
        titles[0]: [BASE_HEADER, *bases],
        titles[1]: [FUND_HEADER, *funds],
    }
    return build_workbook(tmp_path / name, sheets)


def upload(client, path):
    data = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    return client.post(reverse("exchange:import_upload"), {"file": data})


def test_staff_import_page_previews_and_writes_pilot_sheets_with_the_registry(
    staff_client, staff_user, unit, tmp_path
):
    base = make_base(unit, code="XP-1", name="旧名称")
    path = pilot_file(
        tmp_path,
        unit,
        achievements=[achievement_row(unit.code)],
        bases=[
            base_row(
                "XP-1",
                unit,
                name="新名称",
                area=base.site_area_m2,
                staff=base.staff_count,
                services_="pilot_test",
                city=base.city,
                designated_year=2022,
            ),
            base_row("XP-2", unit),
        ],
        funds=[["XP-2", 2024, 300000, "首笔"]],  # a fund of the base added above it
    )
    response = upload(staff_client, path)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEW_READY, job.errors
    assert job.counts["pilot_bases"] == {"add": 1, "update": 1, "unchanged": 0}
    assert job.counts["pilot_funds"] == {"add": 1, "update": 0, "unchanged": 0}
    # nothing written before the confirmation
    assert not PilotBase.objects.filter(code="XP-2").exists() and not Achievement.objects.exists()
    assert PilotBase.objects.get(code="XP-1").name == "旧名称"
    page = staff_client.get(response.url).content.decode()
    assert "中试基地" in page and "中试基地资金" in page and "新名称" in page

    staff_client.post(reverse("exchange:import_job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, (job.message, job.errors)
    assert PilotBase.objects.get(code="XP-1").name == "新名称"
    new = PilotBase.objects.get(code="XP-2")
    assert BaseFund.objects.get(base=new, year=2024).amount == Decimal("300000")
    assert new.history.first().history_user == staff_user
    assert Achievement.objects.filter(ref="CG-1").exists()


def test_the_preview_accepts_a_base_operated_by_a_unit_new_in_the_same_file(unit, staff_user, tmp_path):
    """Confirming writes the file's units before the added sheets; the preview checks them the same
    way (the new units written in its rolled-back savepoint), so it does not refuse the base."""
    new_unit = SimpleNamespace(code=make_credit_code(9901), name="新建中试单位", type="enterprise", region="210200")
    path = pilot_file(tmp_path, unit, bases=[base_row("XP-NEW", new_unit)])
    sheets = openpyxl.load_workbook(path)
    sheets["单位"].append(unit_row(new_unit))
    sheets.save(path)
    preview = registry_import(source=path, acting_user=staff_user, dry_run=True)
    assert preview.valid, preview.problems
    assert preview.counts["units"]["add"] == 1 and preview.counts["pilot_bases"]["add"] == 1
    assert not Unit.objects.filter(code=new_unit.code).exists() and not PilotBase.objects.exists()
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert PilotBase.objects.get(code="XP-NEW").operator == Unit.objects.get(code=new_unit.code)


def test_the_preview_still_refuses_a_base_whose_unit_is_nowhere(unit, staff_user, tmp_path):
    nowhere = SimpleNamespace(code=make_credit_code(9902))
    path = pilot_file(tmp_path, unit, bases=[base_row("XP-NONE", nowhere)])
    preview = registry_import(source=path, acting_user=staff_user, dry_run=True)
    (problem,) = preview.problems
    assert problem["sheet"] == "pilot_bases" and problem["column"] == "operator"


def test_a_bad_pilot_row_is_named_by_sheet_row_and_column_in_both_languages(staff_client, unit, tmp_path):
    path = pilot_file(
        tmp_path,
        unit,
        achievements=[achievement_row(unit.code)],
        bases=[base_row("XP-3", unit), base_row("XP-4", unit, area=-5, city="999999")],
        funds=[["NOPE", 2024, "abc", ""]],
    )
    upload(staff_client, path)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    found = {(p["sheet"], p["row"], p["column"]) for p in job.errors}
    assert ("pilot_bases", 3, "site_area_m2") in found and ("pilot_bases", 3, "city") in found
    assert ("pilot_funds", 2, "base_code") in found and ("pilot_funds", 2, "amount") in found
    assert ("pilot_bases", 2, "site_area_m2") not in found
    with translation.override("zh-hans"):
        rows = presentation.problem_rows(job.errors)
        shown = {(r["sheet_label"], r["column_label"]) for r in rows}
        assert ("中试基地", "场地面积（平方米）") in shown and ("中试基地资金", "基地编号") in shown
    with translation.override("en"):
        shown = {(r["sheet_label"], r["column_label"]) for r in presentation.problem_rows(job.errors)}
        assert ("pilot_bases", "site_area_m2") in shown
    # nothing of any sheet written: not the good base, not the registry's achievement
    assert not PilotBase.objects.filter(code__in=["XP-3", "XP-4"]).exists()
    assert not Achievement.objects.exists()


def test_a_confirmed_import_with_a_bad_pilot_row_writes_nothing(unit, staff_user, tmp_path):
    path = pilot_file(
        tmp_path,
        unit,
        achievements=[achievement_row(unit.code)],
        bases=[base_row("XP-5", unit), base_row("XP-6", unit, staff=20000)],  # needs the confirmation
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert not result.valid
    problem = next(p for p in result.problems if p["sheet"] == "pilot_bases")
    assert problem["row"] == 3 and problem["column"] == "staff_count"
    assert not Achievement.objects.exists() and not PilotBase.objects.filter(code="XP-5").exists()
    # ticked: all written
    path = pilot_file(
        tmp_path,
        unit,
        achievements=[achievement_row(unit.code)],
        bases=[base_row("XP-5", unit), base_row("XP-6", unit, staff=20000, confirm_large="是")],
    )
    assert registry_import(source=path, acting_user=staff_user).valid
    assert PilotBase.objects.get(code="XP-6").staff_count == 20000 and Achievement.objects.exists()


def test_english_sheet_names_and_key_headers_are_accepted(unit, staff_user, tmp_path):
    path = build_workbook(
        tmp_path / "en.xlsx",
        {
            "units": [headers(fmt.UNITS), unit_row(unit)],
            "achievements": [headers(fmt.ACHIEVEMENTS)],
            "transformations": [headers(fmt.TRANSFORMATIONS)],
            "pilot_bases": [[key for key, _l in BASE_COLUMNS], base_row("XP-7", unit)],
            "pilot_funds": [[key for key, _l in FUND_COLUMNS], ["XP-7", 2023, "1000.50", ""]],
        },
    )
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems
    assert BaseFund.objects.get(base__code="XP-7").amount == Decimal("1000.50")


def test_an_unknown_pilot_column_is_a_problem(unit, tmp_path, staff_user):
    path = build_workbook(
        tmp_path / "bad.xlsx",
        {
            "units": [headers(fmt.UNITS), unit_row(unit)],
            "achievements": [headers(fmt.ACHIEVEMENTS)],
            "transformations": [headers(fmt.TRANSFORMATIONS)],
            "中试基地": [[*BASE_HEADER, "备注栏"], base_row("XP-8", unit)],
        },
    )
    result = registry_import(source=path, acting_user=staff_user, dry_run=True)
    assert [(p["sheet"], p["column"]) for p in result.problems] == [("pilot_bases", "备注栏")]


def test_unit_users_change_only_what_the_pilot_policies_allow(client, unit, other_unit, staff_user, tmp_path):
    from accounts.services import user_create_unit_user

    own = make_base(unit, code="XP-10")
    other = make_base(other_unit, code="XP-11")
    services.fund_record(base=own, year=2023, amount=Decimal("1000.00"), acting_user=staff_user)
    user = user_create_unit_user(username="operator", password="pass-for-tests-1", unit=unit)
    client.force_login(user)

    # The unit's own export (every base of the shared register, the funds) re-imports unchanged.
    response = client.get(reverse("exchange:export_xlsx"))
    exported = tmp_path / "mine.xlsx"
    exported.write_bytes(b"".join(response.streaming_content))
    book = openpyxl.load_workbook(exported)
    assert [r[0].value for r in book["中试基地"].iter_rows(min_row=2)] == ["XP-10", "XP-11"]
    result = registry_import(source=exported, acting_user=user, unit=unit, dry_run=True)
    assert result.valid, result.problems
    assert result.counts["pilot_bases"] == {"add": 0, "update": 0, "unchanged": 2}

    def attempt(bases=(), funds=()):
        path = pilot_file(tmp_path, unit, bases=bases, funds=funds)
        return registry_import(source=path, acting_user=user, unit=unit, dry_run=True)

    row = dict(
        zip(
            [k for k, _l in BASE_COLUMNS],
            base_row(
                "XP-10",
                unit,
                area=own.site_area_m2,
                staff=own.staff_count,
                city=own.city,
                services_="pilot_test",
                designated_year=2022,
            ),
            strict=True,
        )
    )
    row["name"] = own.name
    # the operator may change their base's capacities ...
    assert attempt(bases=[[*{**row, "site_area_m2": 12345}.values()]]).valid
    # ... not its name, not another base, not the funds
    renamed = attempt(bases=[[*{**row, "name": "改名"}.values()]])
    assert [(p["sheet"], p["column"]) for p in renamed.problems] == [("pilot_bases", "name")]
    foreign = attempt(
        bases=[[*{**row, "code": "XP-11", "operator": other_unit.code, "name": other.name}.values()]]
    )
    assert foreign.problems and foreign.problems[0]["row"] == 2
    assert "运营单位" in foreign.problems[0]["message"]
    funds = attempt(funds=[["XP-10", 2023, 2000, ""]])
    assert funds.problems[0]["sheet"] == "pilot_funds" and "厅工作人员" in funds.problems[0]["message"]
    # through the page: the job is invalid and nothing is written
    upload(client, pilot_file(tmp_path, unit, funds=[["XP-10", 2023, 2000, ""]]))
    assert ImportJob.objects.get().status == ImportStatus.INVALID
    assert BaseFund.objects.get(base=own, year=2023).amount == Decimal("1000.00")


def test_import_registry_command_reads_the_pilot_sheets(unit, tmp_path, capsys):
    path = pilot_file(tmp_path, unit, bases=[base_row("XP-20", unit)])
    call_command("import_registry", str(path), "--dry-run")
    assert not PilotBase.objects.filter(code="XP-20").exists()
    call_command("import_registry", str(path))
    assert PilotBase.objects.filter(code="XP-20").exists()


@pytest.mark.parametrize(
    ("style", "names"), [("zh", ["中试基地", "中试基地资金"]), ("en", ["pilot_bases", "pilot_funds"])]
)
def test_exports_and_templates_lay_out_the_pilot_sheets(staff_client, unit, style, names):
    make_base(unit, code="XP-30")
    response = staff_client.get(reverse("exchange:export_xlsx") + f"?headers={style}")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book[names[0]]
    assert names[1] in book.sheetnames
    assert sheet["A2"].value == "XP-30" and sheet.freeze_panes == "A2"
    assert sheet["A1"].value == ("基地编号" if style == "zh" else "code")
    assert "LNZS-001" in sheet["A1"].comment.text  # the header note says what the column holds
    dropdowns = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert "210100" in dropdowns["D2"] and "suspended" in dropdowns["G2"]
    template = staff_client.get(reverse("exchange:template", args=[style]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert book[names[0]]["A1"].comment is not None and book[names[1]].max_row == 1
    if style == "zh":  # the operator may be a unit the same file adds on its 单位 sheet
        assert book[names[0]]["C1"].value == "运营单位代码"
        assert "在库中或在本文件的“单位”表中" in book[names[0]]["C1"].comment.text


@pytest.mark.parametrize("target", ["registry.zip", "folder"])
def test_every_csv_export_writes_the_pilot_sheets(unit, tmp_path, target, capsys):
    """The command's folder export writes the same files as the zip (it wrote only the registry's
    three), and they import again unchanged."""
    make_base(unit, code="XP-35")
    path = tmp_path / target
    if target == "folder":
        path.mkdir()
    call_command("export_registry", str(path))
    if target == "folder":
        files = {p.name: p.read_text("utf-8-sig") for p in path.iterdir()}
    else:
        archive = zipfile.ZipFile(path)
        files = {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}
    assert sorted(files) == sorted(f"{name}.csv" for name in fmt.data_sheet_names())
    assert {"pilot_bases.csv", "pilot_funds.csv"} <= set(files) and "XP-35" in files["pilot_bases.csv"]
    capsys.readouterr()
    call_command("import_registry", str(path), "--dry-run")
    assert "pilot_bases: 0 to add, 0 to update, 1 unchanged" in capsys.readouterr().out


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_import_help_names_every_sheet_the_template_holds(staff_client, language, english_catalogue_compiled):  # noqa: F811
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = staff_client.get(reverse("core:help_topic", args=["import"])).content.decode()
    with translation.override(language):
        for name in fmt.data_sheet_names():
            assert fmt.sheet_label(name) in page and f"{name}.csv" in page
    assert f"{len(fmt.data_sheet_names())} " in page and "三张表" not in page and "three" not in page


def test_the_sheets_rows_follow_the_registers_read_policy(unit, staff_user):
    from django.contrib.auth.models import AnonymousUser

    from pilots.exchange_sheets import base_rows, fund_rows

    base = make_base(unit, code="XP-40")
    services.fund_record(base=base, year=2024, amount=Decimal("1.00"), acting_user=staff_user)
    assert [r[0] for r in base_rows(staff_user)] == ["XP-40"] == [r[0] for r in base_rows(None)]
    assert [r[0] for r in fund_rows(staff_user)] == ["XP-40"]
    assert list(base_rows(AnonymousUser())) == [] and list(fund_rows(AnonymousUser())) == []


def test_a_count_no_column_holds_is_a_problem_naming_the_column_not_a_crash(unit, staff_user):
    from pilots.exchange_sheets import load_bases

    keys = [key for key, _label in BASE_COLUMNS]
    for raw in ("inf", "-Infinity", "nan", "1e100000000", "1e19", "9.9e18"):
        record = dict(zip(keys, base_row("XP-9", unit, staff=raw), strict=True))
        result = load_bases([(2, record)], staff_user, dry_run=True)
        assert [p["column"] for p in result.problems] == ["staff_count"], raw
    assert not PilotBase.objects.filter(code="XP-9").exists()
    for raw in ("inf", "1e100000000"):
        record = dict(zip(keys, base_row("XP-9", unit, area=raw), strict=True))
        result = load_bases([(2, record)], staff_user, dry_run=True)
        assert [p["column"] for p in result.problems] == ["site_area_m2"], raw
