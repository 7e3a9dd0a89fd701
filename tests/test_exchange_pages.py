"""The import pages (upload → preview → confirm → result), the Celery path with progress, template
downloads and exports (round trip, formula injection)."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from achievements.models import Achievement, Transformation
from core.registry import exchange_sheets
from exchange import format as fmt
from exchange import services, validation
from exchange.models import ImportJob, ImportStatus
from exchange.services import registry_import
from exchange.tasks import import_apply_task, import_validate_task

from .factories import AchievementFactory, TransformationFactory
from .test_exchange_import import achievement_row, contract_row, unit_row, workbook

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def queued_tasks(callbacks) -> int:
    """The Celery tasks among the after-commit callbacks (the uploader's notification has its own)."""
    from celery import Task

    return sum(isinstance(getattr(getattr(c, "func", None), "__self__", None), Task) for c in callbacks)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, path, name="registry.xlsx"):
    data = SimpleUploadedFile(name, path.read_bytes(), content_type=XLSX)
    return client.post(reverse("exchange:import_upload"), {"file": data})


def good_file(tmp_path, unit, **changes):
    return workbook(
        tmp_path,
        units=[unit_row(unit)],
        achievements=[achievement_row(unit.code, **changes)],
        contracts=[contract_row(unit.code)],
    )


# --- upload → preview → confirm ---------------------------------------------------------------


def test_upload_preview_confirm_and_result(unit_client, unit_user, unit, tmp_path):
    response = upload(unit_client, good_file(tmp_path, unit, convertible="否"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("exchange:import_job", args=[job.pk])
    assert job.status == ImportStatus.PREVIEW_READY and job.unit == unit and not job.run_async
    assert Achievement.objects.count() == 0  # nothing before the confirmation

    page = unit_client.get(response.url).content.decode()
    assert "变更预览" in page and "确认导入" in page and "CG-1" in page

    response = unit_client.post(reverse("exchange:import_job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.progress == 100 and job.finished_at
    achievement = Achievement.objects.get(ref="CG-1")
    assert achievement.history.get().history_user == unit_user
    assert "导入完成" in unit_client.get(response.url).content.decode()

    # Confirming twice does nothing more.
    unit_client.post(reverse("exchange:import_job_confirm", args=[job.pk]))
    assert Achievement.history.count() == 1


def test_an_invalid_upload_shows_the_problem_table_and_writes_nothing(unit_client, unit, tmp_path):
    upload(unit_client, good_file(tmp_path, unit, registered_on="2023/13/01"))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID and job.error_count == 1
    assert job.errors[0] == {
        "sheet": "achievements",
        "row": 2,
        "column": "registered_on",
        "value": "2023/13/01",
        "message": job.errors[0]["message"],
    }
    page = unit_client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    assert "问题列表" in page and "2023/13/01" in page and "确认导入" not in page
    response = unit_client.post(reverse("exchange:import_job_confirm", args=[job.pk]))
    assert response.status_code == 302
    assert Achievement.objects.count() == 0


def test_a_unit_users_upload_of_another_units_rows_is_refused(unit_client, other_unit, tmp_path):
    upload(unit_client, good_file(tmp_path, other_unit))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert any("无权导入其他单位" in e["message"] for e in job.errors)


def test_the_upload_size_is_limited(unit_client, unit, tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = upload(unit_client, good_file(tmp_path, unit))
    assert response.status_code == 200 and "文件过大" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_other_users_jobs_are_not_visible(unit_client, staff_user, unit, tmp_path):
    staff_client = Client()
    staff_client.force_login(staff_user)
    upload(staff_client, good_file(tmp_path, unit))
    job = ImportJob.objects.get()
    assert unit_client.get(reverse("exchange:import_job", args=[job.pk])).status_code == 404
    assert unit_client.post(reverse("exchange:import_job_confirm", args=[job.pk])).status_code == 404


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(reverse("exchange:import_upload"))
    assert response.status_code == 302 and "login" in response.url


# --- the Celery path --------------------------------------------------------------------------


def test_large_imports_run_as_tasks_with_progress(
    staff_client, unit, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks, celery_eager
):
    settings.IMPORT_ASYNC_ROWS = 1
    monkeypatch.setattr(validation, "PROGRESS_STEP", 1)
    reported = []
    real_reporter = services._progress_reporter

    def spy(job_id):
        report = real_reporter(job_id)

        def wrapped(fraction):
            reported.append(fraction)
            report(fraction)

        return wrapped

    monkeypatch.setattr(services, "_progress_reporter", spy)
    rows = [achievement_row(unit.code, f"CG-{i}", patent_no="", ip_type="software") for i in range(8)]
    path = workbook(tmp_path, achievements=rows)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(staff_client, path)
    job = ImportJob.objects.get()
    assert job.run_async and queued_tasks(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW_READY and job.progress == 100
    assert any(0 < f < 1 for f in reported), reported

    status = staff_client.get(reverse("exchange:import_job_status", args=[job.pk])).json()
    assert status == {"status": "preview_ready", "status_label": "待确认", "progress": 100, "running": False}

    reported.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("exchange:import_job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Achievement.objects.count() == 8
    assert reported and reported == sorted(reported)

    # Idempotent by status: a repeated delivery of either task changes nothing.
    import_validate_task(job.pk)
    import_apply_task(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Achievement.history.count() == 8
    assert response.status_code == 302


def test_the_running_page_polls_the_status_endpoint(staff_client, staff_user, unit, tmp_path):
    job = ImportJob.objects.create(
        user=staff_user, original_name="x.xlsx", status=ImportStatus.VALIDATING, progress=40
    )
    page = staff_client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    assert 'id="import-bar"' in page and reverse("exchange:import_job_status", args=[job.pk]) in page
    assert staff_client.get(reverse("exchange:import_job_status", args=[job.pk])).json()["running"] is True


# --- templates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "sheets"),
    [("zh", ["单位", "科技成果", "转化合同", "说明"]), ("en", ["units", "achievements", "transformations", "help"])],
)
def test_blank_templates_download_with_headers_and_a_help_sheet(staff_client, style, sheets):
    response = staff_client.get(reverse("exchange:template", args=[style]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    # the other apps' added sheets (pilot bases, ...) before the help sheet, named in the style
    added = [str(s.title) if style == "zh" else s.name for s in exchange_sheets()]
    assert book.sheetnames == [*sheets[:-1], *added, sheets[-1], "代码表"]  # the hidden code lists last
    help_sheet = sheets[-1]
    expected = [c.label if style == "zh" else c.key for c in fmt.ACHIEVEMENTS.columns]
    assert [c.value for c in book[sheets[1]][1]] == expected
    help_text = " ".join(str(c.value) for row in book[help_sheet].iter_rows() for c in row if c.value)
    assert "invention_patent 发明专利" in help_text and "effective 有效" in help_text


def test_a_blank_template_imports_as_nothing_to_do(staff_client, tmp_path):
    response = staff_client.get(reverse("exchange:template", args=["zh"]))
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    result = registry_import(source=path, dry_run=True)
    assert result.valid and result.change_count == 0


# --- exports --------------------------------------------------------------------------------------


def export_bytes(client, kind, query=""):
    name = "exchange:export_xlsx" if kind == "xlsx" else "exchange:export_csv"
    response = client.get(reverse(name) + query)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def registry(unit, other_unit):
    for owner in (unit, other_unit):
        for achievement in AchievementFactory.create_batch(2, unit=owner):
            TransformationFactory(achievement=achievement, received=None)
    dangerous = AchievementFactory(unit=unit, title='=HYPERLINK("http://evil","点我")', ref="-1")
    TransformationFactory(achievement=dangerous, ref="+HT", transferee__name="@公司")
    return dangerous


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_export_reimports_to_no_change(staff_client, unit, other_unit, kind, tmp_path):
    registry(unit, other_unit)
    path = tmp_path / ("export.xlsx" if kind == "xlsx" else "export.zip")
    path.write_bytes(export_bytes(staff_client, kind))
    result = registry_import(source=path, dry_run=True)
    assert result.valid, result.problems
    assert result.counts["achievements"] == {"add": 0, "update": 0, "unchanged": 5}
    assert result.counts["transformations"] == {"add": 0, "update": 0, "unchanged": 5}
    assert result.change_count == 0


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_english_header_exports_reimport_to_no_change(staff_client, unit, other_unit, kind, tmp_path):
    registry(unit, other_unit)
    path = tmp_path / ("export.xlsx" if kind == "xlsx" else "export.zip")
    path.write_bytes(export_bytes(staff_client, kind, "?headers=en"))
    assert registry_import(source=path, dry_run=True).change_count == 0


def test_exported_cells_are_neutralised_against_formula_injection(staff_client, unit, other_unit):
    dangerous = registry(unit, other_unit)
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(staff_client, "xlsx")))
    titles = [row[2] for row in book["科技成果"].iter_rows(min_row=2, values_only=True)]
    assert "'" + dangerous.title in titles and dangerous.title not in titles
    assert book["科技成果"]["A1"].data_type == "s"
    cells = [c for row in book["科技成果"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)

    archive = zipfile.ZipFile(io.BytesIO(export_bytes(staff_client, "csv")))
    contracts = list(csv.reader(io.StringIO(archive.read("transformations.csv").decode("utf-8-sig"))))
    assert any(row[0] == "'+HT" and row[4] == "'@公司" for row in contracts)


def test_an_imported_neutralised_cell_is_restored(tmp_path, unit):
    path = workbook(tmp_path, achievements=[achievement_row(unit.code, "'-7", title="'=1+1")])
    assert registry_import(source=path).valid
    assert Achievement.objects.get(ref="-7").title == "=1+1"


def test_the_export_follows_the_list_filters_and_the_users_unit(unit_client, staff_user, unit, other_unit):
    staff_client = Client()
    staff_client.force_login(staff_user)
    registry(unit, other_unit)
    own = openpyxl.load_workbook(io.BytesIO(export_bytes(unit_client, "xlsx")))
    assert {row[1] for row in own["科技成果"].iter_rows(min_row=2, values_only=True)} == {unit.code}
    assert [row[0] for row in own["单位"].iter_rows(min_row=2, values_only=True)] == [unit.code]
    assert {row[1] for row in own["转化合同"].iter_rows(min_row=2, values_only=True)} == {unit.code}

    filtered = openpyxl.load_workbook(
        io.BytesIO(export_bytes(staff_client, "xlsx", f"?unit={other_unit.code}"))
    )
    assert {row[1] for row in filtered["科技成果"].iter_rows(min_row=2, values_only=True)} == {
        other_unit.code
    }
    assert Transformation.objects.count() == 5
    assert staff_client.get(reverse("exchange:export_xlsx") + "?trl=99").status_code == 400


def test_the_achievement_list_has_export_buttons(staff_client):
    page = staff_client.get(reverse("achievements:achievement_list") + "?trl=6").content.decode()
    assert "导出 Excel" in page and "导出 CSV" in page
    assert reverse("exchange:export_xlsx") + "?trl=6" in page
