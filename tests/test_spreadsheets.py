"""One formula neutraliser (core.spreadsheets) for every CSV and Excel file the site hands out."""

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.spreadsheets import append_row, csv_writer, looks_like_formula, neutralise, unneutralise
from dashboards import engine

from .factories import AchievementFactory, TransformationFactory, UnitFactory

HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "＝１＋１",  # full-width equals sign
    "＋1",
    "－1",
    "＠SUM(A1)",
    "﹦1",
    "−1",  # U+2212 minus sign
    " =1+1",  # leading space
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    " \n ＠x",
]
HARMLESS = ["沈阳工业大学", "'s Gravesande", "a=b", "1+1", "", "'", "中国科学院＝研究所"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_texts_are_prefixed(text):
    assert looks_like_formula(text)
    assert neutralise(text) == "'" + text
    assert not looks_like_formula(neutralise(text))


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_texts_are_unchanged(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("value", [-5, 3.5, None, True])
def test_non_text_values_pass_unchanged(value):
    assert neutralise(value) is value


@given(st.text(alphabet=st.sampled_from("=+-@'\t\r ＝＋－＠\u3000\u200bab1"), max_size=8) | st.text())
def test_neutralise_is_an_exact_escape_and_never_leaves_a_formula(text):
    assert unneutralise(neutralise(text)) == text
    assert not looks_like_formula(neutralise(text))


def test_csv_and_xlsx_writers_neutralise_every_text_cell():
    out = io.StringIO()
    csv_writer(out).writerows([HOSTILE, [None, 1, "ok"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["'" + text for text in HOSTILE]
    assert rows[1] == ["", "1", "ok"]
    book = openpyxl.Workbook()
    append_row(book.active, HOSTILE)
    assert all(cell.data_type == "s" for cell in book.active[1])


# --- every export path, with hostile names -------------------------------------------------------


def assert_no_formula(cells):
    cells = list(cells)
    assert cells
    for value in cells:
        assert not (isinstance(value, str) and looks_like_formula(value)), repr(value)


def xlsx_cells(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                yield cell.value


def csv_cells(text: str):
    for row in csv.reader(io.StringIO(text)):
        yield from row


@pytest.fixture
def hostile_registry(db):
    units = [UnitFactory(name=name) for name in HOSTILE[:6]]
    for index, unit in enumerate(units):
        achievement = AchievementFactory(unit=unit, title=HOSTILE[-1 - index], keywords=HOSTILE[index])
        TransformationFactory(achievement=achievement, transferee__name=HOSTILE[index + 6])
    engine.recompute_full()
    return units


def content(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_registry_xlsx_export_has_no_formula(staff_client, hostile_registry):
    cells = list(xlsx_cells(content(staff_client.get(reverse("exchange:export_xlsx")))))
    assert "'" + HOSTILE[0] in cells  # the hostile unit name is there, as text
    assert_no_formula(cells)


def test_registry_csv_export_has_no_formula(staff_client, hostile_registry):
    archive = zipfile.ZipFile(io.BytesIO(content(staff_client.get(reverse("exchange:export_csv")))))
    cells = [c for name in archive.namelist() for c in csv_cells(archive.read(name).decode("utf-8-sig"))]
    assert "'" + HOSTILE[6] in cells  # a hostile transferee name
    assert_no_formula(cells)


def test_registry_folder_export_has_no_formula(hostile_registry, tmp_path: Path):
    from achievements.models import Achievement
    from exchange.export import write_folder

    write_folder(tmp_path, Achievement.objects.all())
    cells = [c for path in tmp_path.glob("*.csv") for c in csv_cells(path.read_text("utf-8-sig"))]
    assert "'" + HOSTILE[1] in cells
    assert_no_formula(cells)


@pytest.mark.parametrize("style", ["zh", "en"])
def test_template_download_has_no_formula(staff_client, style):
    assert_no_formula(xlsx_cells(content(staff_client.get(reverse("exchange:template", args=[style])))))


@pytest.mark.parametrize("path", ["/api/v1/stats/breakdown/", "/api/v1/stats/breakdown.csv"])
def test_statistics_csv_export_has_no_formula(staff_client, hostile_registry, path):
    response = staff_client.get(path, {"year": 2023, "by": "unit", "format": "csv"})
    text = content(response).decode("utf-8-sig")
    cells = list(csv_cells(text))
    assert "'" + HOSTILE[0] in cells
    assert_no_formula(cells)


@pytest.mark.parametrize("query", [{"by": "unit"}, {"by": "cluster"}, {"by": "mode"}])
def test_statistics_xlsx_export_has_no_formula(staff_client, hostile_registry, query):
    response = staff_client.get("/api/v1/stats/breakdown/", {"year": 2023, "format": "xlsx", **query})
    cells = list(xlsx_cells(content(response)))
    if query["by"] == "unit":
        assert "'" + HOSTILE[0] in cells
    assert_no_formula(cells)


@pytest.mark.parametrize("view", ["summary", "timeseries"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_other_statistics_exports_have_no_formula(staff_client, hostile_registry, view, fmt):
    unit = hostile_registry[0]
    params = {"year": 2023} if view == "summary" else {"from": 2022, "to": 2023}
    response = staff_client.get(f"/api/v1/stats/{view}/", {**params, "unit": unit.code, "format": fmt})
    body = content(response)
    cells = list(xlsx_cells(body)) if fmt == "xlsx" else list(csv_cells(body.decode("utf-8-sig")))
    assert_no_formula(cells)


# --- no writer bypasses the neutraliser ------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
WRITER = re.compile(r"csv\.(writer|DictWriter)\(|\bWorkbook\(")
SOURCE_DIRS = (
    "accounts",
    "achievements",
    "core",
    "dashboards",
    "exchange",
    "incentives",
    "liaoning_tt",
    "pilots",
)
# Generated import input for tests and benchmarks, not a file the site hands out.
NOT_EXPORTS = {"exchange/samples.py", "core/spreadsheets.py"}


def test_every_csv_and_xlsx_writer_goes_through_core_spreadsheets():
    """A module that writes CSV or a workbook imports the neutralising writers and never uses
    ``csv.writer`` itself."""
    offenders, writers = [], []
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).glob("**/*.py"):
            relative = path.relative_to(ROOT).as_posix()
            source = path.read_text("utf-8")
            if relative in NOT_EXPORTS or not WRITER.search(source):
                continue
            writers.append(relative)
            if re.search(r"csv\.(writer|DictWriter)\(", source) or "core.spreadsheets" not in source:
                offenders.append(relative)
    assert {"exchange/export.py", "dashboards/api/renderers.py"} <= set(writers)
    assert offenders == []
