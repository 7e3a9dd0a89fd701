"""The pilot sheets through the import page in a real browser: a staff user uploads a workbook whose
中试基地 sheet has a bad row (the problem table names the sheet, the row and the column), then the
corrected file (the preview counts the base to add and names it), confirms, and the base is in the
register with its funds."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pilots.models import BaseFund, PilotBase
from tests.test_pilot_exchange import base_row, pilot_file

from .helpers import login


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager


def test_staff_import_pilot_sheets_through_the_page(browser_page, live_server, staff_user, unit, tmp_path):
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")

    bad = pilot_file(
        tmp_path, unit, bases=[base_row("BRI-1", unit, name="浏览器导入基地", area=-1)], name="bad.xlsx"
    )
    page.goto("/exchange/import/")
    page.get_by_label("导入文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并校验").click()
    problems = page.locator("table.data", has_text="场地面积（平方米）")
    expect(problems).to_contain_text("中试基地")
    expect(problems.locator("tbody tr", has_text="场地面积（平方米）").first).to_contain_text("2")
    assert not PilotBase.objects.filter(code="BRI-1").exists()
    page.screenshot(path=tmp_path / "pilot_import_problems.png", full_page=True)

    good = pilot_file(
        tmp_path,
        unit,
        bases=[base_row("BRI-1", unit, name="浏览器导入基地")],
        funds=[["BRI-1", 2024, "250000.00", "首笔"]],
        name="good.xlsx",
    )
    page.goto("/exchange/import/")
    page.get_by_label("导入文件").set_input_files(str(good))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.get_by_role("heading", name="变更预览")).to_be_visible()
    counts = page.locator("table.data").first
    expect(counts.locator("tbody tr", has_text="中试基地").first.locator("td").nth(1)).to_have_text("1")
    expect(page.get_by_text("浏览器导入基地").first).to_be_visible()
    assert not PilotBase.objects.filter(code="BRI-1").exists(), "the preview must not write anything"
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("导入完成")).to_be_visible()
    assert BaseFund.objects.get(base__code="BRI-1", year=2024).amount == Decimal("250000.00")
