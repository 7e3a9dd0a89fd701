"""Uploads that cannot be read: every corrupt or lying archive or workbook is one clear Chinese
message and a failed job — through the page (the upload step), the Celery task and the command —
never a server error or a traceback. The encoding message names GBK/GB18030. The preview keeps the
keys, not the rows, in memory."""

import io
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from achievements.models import Achievement, Unit
from exchange import format as fmt
from exchange.models import ImportJob, ImportStatus
from exchange.readers import detect_encoding
from exchange.samples import write_sample_csv_zip, write_sample_workbook
from exchange.services import registry_import
from exchange.tasks import import_validate_task

pytestmark = pytest.mark.django_db


def queued_tasks(callbacks) -> int:
    """The Celery tasks among the after-commit callbacks (the uploader's notification has its own)."""
    from celery import Task

    return sum(isinstance(getattr(getattr(c, "func", None), "__self__", None), Task) for c in callbacks)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- building damaged files -------------------------------------------------------------------


def csv_zip(rows: int = 3000, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("units.csv", ",".join(fmt.UNITS.keys) + "\n" + "x,y,z,w\n" * rows)
        archive.writestr("achievements.csv", ",".join(fmt.ACHIEVEMENTS.keys) + "\n")
        archive.writestr("transformations.csv", ",".join(fmt.TRANSFORMATIONS.keys) + "\n")
    return buffer.getvalue()


def lie(data: bytes, member: str, *, file_size=None, compress_size=None, crc=None, flags=None) -> bytes:
    """Rewrite what one member's local header and central directory entry declare."""
    data = bytearray(data)
    local = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member).header_offset
    central = 0
    while True:
        central = data.index(b"PK\x01\x02", central)
        length = struct.unpack("<H", data[central + 28 : central + 30])[0]
        if data[central + 46 : central + 46 + length] == member.encode():
            break
        central += 4
    for base, fields in ((local, 14), (central, 16)):  # CRC, compressed size, size follow each other
        if flags is not None:
            data[base + fields - 8 : base + fields - 6] = struct.pack("<H", flags)
        if crc is not None:
            data[base + fields : base + fields + 4] = struct.pack("<I", crc)
        if compress_size is not None:
            data[base + fields + 4 : base + fields + 8] = struct.pack("<I", compress_size)
        if file_size is not None:
            data[base + fields + 8 : base + fields + 12] = struct.pack("<I", file_size)
    return bytes(data)


def sample_xlsx(tmp_path) -> bytes:
    return write_sample_workbook(
        tmp_path / "sample.xlsx", units=2, achievements=30, contracts=30
    ).read_bytes()


def _csv_as_xlsx(tmp_path):
    return csv_zip(10)


def _docx_like(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _bomb(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("units.csv", b"0" * (5 << 20))
    return buffer.getvalue()


def _xlsx_sheet_lies(tmp_path):
    return lie(sample_xlsx(tmp_path), "xl/worksheets/sheet2.xml", crc=1)


def _xlsx_bad_shared_string(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample_xlsx(tmp_path))) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<c ", b'<c t="s" ', 1).replace(
                    b"<is><t>", b"<v>999999</v><is><t>", 1
                )
            target.writestr(info, content)
    return buffer.getvalue()


def _lzma(tmp_path):
    return csv_zip(10, compression=zipfile.ZIP_LZMA)


# name, file name, bytes builder, a fragment of the message
CASES = [
    ("bad zip", "registry.zip", lambda p: b"PK\x03\x04" + b"not really a zip" * 20, "压缩包已损坏"),
    ("truncated zip", "registry.zip", lambda p: csv_zip()[: len(csv_zip()) // 2], "压缩包已损坏"),
    ("truncated workbook", "registry.xlsx", lambda p: sample_xlsx(p)[:-200], "文件已损坏"),
    (
        "size smaller than the data",
        "registry.zip",
        lambda p: lie(csv_zip(), "units.csv", file_size=100),
        "“units.csv”已损坏",
    ),
    (
        "compressed size lies",
        "registry.zip",
        lambda p: lie(csv_zip(), "units.csv", compress_size=10),
        "“units.csv”已损坏",
    ),
    ("CRC lies", "registry.zip", lambda p: lie(csv_zip(), "units.csv", crc=1234), "“units.csv”已损坏"),
    ("bomb ratio", "registry.zip", _bomb, "压缩炸弹"),
    (
        "bomb hidden by lying sizes",
        "registry.zip",
        lambda p: lie(_bomb(p), "units.csv", file_size=4000),
        "“units.csv”已损坏",
    ),
    ("encrypted zip", "registry.zip", lambda p: lie(csv_zip(), "units.csv", flags=1), "已加密"),
    (
        "encrypted workbook",
        "registry.xlsx",
        lambda p: bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512,
        "取消密码保护",
    ),
    ("csv zip named .xlsx", "registry.xlsx", _csv_as_xlsx, "不是有效的 .xlsx"),
    ("not a workbook", "registry.xlsx", _docx_like, "不是有效的 .xlsx"),
    ("worksheet CRC lies", "registry.xlsx", _xlsx_sheet_lies, "已损坏"),
    ("shared string past the end", "registry.xlsx", _xlsx_bad_shared_string, "文件已损坏"),
    ("unsupported compression", "registry.zip", _lzma, "不支持的压缩方式"),
]
IDS = [case[0] for case in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def damaged(request, tmp_path):
    label, name, build, message = request.param
    path = tmp_path / name
    path.write_bytes(build(tmp_path))
    return path, message


def test_the_service_reports_a_file_problem(damaged):
    path, message = damaged
    result = registry_import(source=path, dry_run=True)
    assert not result.valid and message in result.file_problem
    assert result.problems[0]["message"] == result.file_problem
    assert registry_import(source=path).file_problem == result.file_problem  # the write path too
    assert not Unit.objects.exists()


def test_the_upload_page_marks_the_job_failed_with_the_message(damaged, staff_client):
    path, message = damaged
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = staff_client.post(reverse("exchange:import_upload"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("exchange:import_job", args=[job.pk])
    assert job.status == ImportStatus.FAILED and message in job.message and job.finished_at
    page = staff_client.get(response.url)
    assert page.status_code == 200 and message in page.content.decode()
    status = staff_client.get(reverse("exchange:import_job_status", args=[job.pk])).json()
    assert status["status"] == "failed" and not status["running"]


def test_the_validation_task_marks_the_job_failed_with_the_message(damaged, staff_user, celery_eager):
    path, message = damaged
    job = ImportJob(user=staff_user, original_name=path.name, run_async=True, rows=5000)
    job.file.save(path.name, ContentFile(path.read_bytes()), save=True)
    import_validate_task.delay(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and message in job.message, job.message
    assert "内部错误" not in job.message


def test_the_command_exits_1_with_the_message(damaged, capsys):
    path, message = damaged
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_registry", str(path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert message in err and "nothing was written" in err and "Traceback" not in err


def test_a_large_workbook_that_lies_fails_in_the_background_task(
    staff_client, tmp_path, settings, django_capture_on_commit_callbacks, celery_eager
):
    settings.IMPORT_ASYNC_ROWS = 0  # the sheet sizes the workbook declares make it a background job
    path = tmp_path / "registry.xlsx"
    path.write_bytes(_xlsx_sheet_lies(tmp_path))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        staff_client.post(
            reverse("exchange:import_upload"), {"file": SimpleUploadedFile(path.name, path.read_bytes())}
        )
    job = ImportJob.objects.get()
    assert job.run_async and queued_tasks(callbacks) == 1
    assert job.status == ImportStatus.FAILED and "已损坏" in job.message


def test_the_command_refuses_a_missing_path(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("import_registry", str(tmp_path / "missing.xlsx"))


# --- encodings --------------------------------------------------------------------------------


def test_a_gbk_csv_is_named_gbk_gb18030(tmp_path, staff_client):
    archive = tmp_path / "gbk.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        # charset-normalizer alone calls these bytes "CP949" or "Big5"
        zf.writestr("units.csv", "code,name\nX,大连某某科技有限公司\n".encode("gbk"))
        zf.writestr("achievements.csv", ",".join(fmt.ACHIEVEMENTS.keys) + "\n")
        zf.writestr("transformations.csv", ",".join(fmt.TRANSFORMATIONS.keys) + "\n")
    message = registry_import(source=archive, dry_run=True).file_problem
    assert "检测为 GBK/GB18030" in message and "另存为 UTF-8" in message

    staff_client.post(
        reverse("exchange:import_upload"), {"file": SimpleUploadedFile("gbk.zip", archive.read_bytes())}
    )
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and "GBK/GB18030" in job.message


@pytest.mark.parametrize(
    "text, encoding, expected",
    [
        ("统一社会信用代码,单位名称\n", "gbk", "GBK/GB18030"),
        ("ref,title\nCG-1,一种高强度铝合金的制备方法\n", "gbk", "GBK/GB18030"),
        ("name\n沈阳\n", "gb18030", "GBK/GB18030"),
        ("Müller,Café,naïve résumé\n", "latin-1", None),  # pairs of Latin-1 bytes are not Chinese
        ("Привет мир, как дела\n", "cp1251", None),
    ],
)
def test_the_encoding_is_named_gbk_only_for_chinese_gb_text(text, encoding, expected):
    name = detect_encoding(text.encode(encoding))
    if expected:
        assert name == expected
    else:
        assert "GB" not in name and name


def test_a_gbk_head_cut_inside_a_character_is_still_gbk():
    data = ("成果名称," * 100).encode("gbk")
    assert detect_encoding(data[:-1]) == "GBK/GB18030"


# --- memory -----------------------------------------------------------------------------------


def _preview_peak(path) -> int:
    tracemalloc.start()
    try:
        result = registry_import(source=path, dry_run=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.valid, result.problems[:3]
    assert result.plan is None  # a preview keeps no rows to write
    return peak


def test_the_preview_keeps_keys_not_rows(tmp_path):
    """Peak traced memory per extra row stays near the size of a key: rows are streamed and diffed in
    chunks (about 200 bytes per row here; keeping every row, as before, cost about 800). Both files
    fill several chunks, so the difference is the per-row cost alone."""
    tiny = write_sample_csv_zip(tmp_path / "tiny.zip", units=2, achievements=5, contracts=5)
    small = write_sample_csv_zip(tmp_path / "small.zip", units=4, achievements=2500, contracts=3750)
    large = write_sample_csv_zip(tmp_path / "large.zip", units=4, achievements=8000, contracts=12000)
    _preview_peak(tiny)  # load translations and parsers before measuring
    per_row = (_preview_peak(large) - _preview_peak(small)) / (20000 - 6250)
    assert per_row < 400, f"{per_row:.0f} bytes per row"
    assert Achievement.objects.count() == 0


def test_the_import_memory_benchmark_prints_the_figure_at_tiny_size():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BENCH_DATABASE_URL")}
    env["CELERY_BROKER_URL"] = ""
    result = subprocess.run(
        [sys.executable, "benchmarks/import_memory_bench.py", "--rows", "3000"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "peak RSS above idle" in result.stdout and "rows/s CPU" in result.stdout


def test_the_confirmed_import_writes_chunk_by_chunk(tmp_path, monkeypatch, staff_user):
    """The confirmed import writes each chunk as soon as it is checked: no call of the writer holds
    more than one chunk of rows (and the transferees they name first), and everything is written."""
    from achievements.models import Transformation
    from exchange import services, validation

    monkeypatch.setattr(validation, "DIFF_CHUNK", 5)
    parts = []
    real_write_plan = services.write_plan

    def spy(part, **kwargs):
        parts.append(
            (
                len(part.achievements_create) + len(part.achievements_update),
                len(part.transformations_create) + len(part.transformations_update),
                len(part.transferees_create),
            )
        )
        real_write_plan(part, **kwargs)

    monkeypatch.setattr(services, "write_plan", spy)
    path = write_sample_csv_zip(tmp_path / "registry.zip", units=2, achievements=23, contracts=31)
    result = registry_import(source=path, acting_user=staff_user)
    assert result.valid, result.problems[:3]
    assert Achievement.objects.count() == 23 and Transformation.objects.count() == 31
    assert max(a for a, _c, _t in parts) <= 5 and max(c for _a, c, _t in parts) <= 5
    assert sum(a for a, _c, _t in parts) == 23 and sum(c for _a, c, _t in parts) == 31
    assert sum(t for _a, _c, t in parts) == result.counts["transferees"]["add"] > 0
    assert registry_import(source=path, dry_run=True).change_count == 0  # written exactly as the file says
