"""Incentives in a real browser: staff preview a parameter change of the post-subsidy rule, run the
evaluation, approve the proposal from the list and export the approved awards for finance."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from incentives.models import Award
from tests.factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory

from .helpers import login


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager


def test_preview_evaluate_approve_export(browser_page, live_server, staff_user, tmp_path):
    unit = UnitFactory(name="东北大学")
    contract = TransformationFactory(
        achievement=AchievementFactory(unit=unit), ref="HT-2023-0042", transferee=TransfereeFactory(name="沈阳精密机床有限公司"),
        amount=Decimal("5000000.00"), received=Decimal("3000000.00"), signed_on=datetime.date(2023, 6, 1),
    )
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")

    page.goto(live_server.url + "/incentives/rules/")
    page.get_by_role("link", name="post_subsidy").click()
    expect(page.locator("#parameter-values")).to_contain_text("0.05")

    # Preview a higher rate: 3,000,000.00 × 8% against the 5% in force; nothing is saved.
    preview = page.locator("#preview-form")
    preview.get_by_label("参数").select_option("formula")
    preview.get_by_label("新取值").fill('{"kind": "percent", "base": "received", "rate": "0.08"}')
    preview.get_by_label("起始日期").fill("2024-01-01")
    preview.get_by_label("评审年度").fill("2024")
    preview.get_by_role("button", name="预览").click()
    expect(page.locator("#preview-rows")).to_contain_text("合同 HT-2023-0042")
    row = page.locator("#preview-rows tbody tr", has_text="HT-2023-0042")
    expect(row).to_contain_text("150,000.00")
    expect(row).to_contain_text("240,000.00")
    expect(row).to_contain_text("90,000.00")
    page.screenshot(path=tmp_path / "preview.png", full_page=True)
    assert not Award.objects.exists()

    # Run the evaluation of 2024 from the rule's page: the proposal appears in the list.
    page.go_back()
    evaluate = page.locator("#evaluate-form")
    evaluate.get_by_label("评审年度").fill("2024")
    evaluate.get_by_role("button", name="运行评审").click()
    expect(page).to_have_url(re.compile(r"/incentives/awards/\?year=2024"))
    expect(page.locator("#results")).to_contain_text("沈阳精密机床有限公司")
    expect(page.locator("#results")).to_contain_text("150,000.00")

    # Approve it from the filtered list with a comment.
    award = Award.objects.get(contract=contract)
    page.get_by_label(f"选择奖补 {award.pk}").check()
    page.locator("#bulk-decide").get_by_label("审批").select_option("approve")
    page.locator("#bulk-decide").get_by_label("意见").fill("材料齐全，同意")
    page.locator("#bulk-decide").get_by_role("button", name="提交审批").click()
    expect(page.locator("body")).to_contain_text("已批准 1 条奖补")
    expect(page.locator("#results")).to_contain_text("已批准")
    award.refresh_from_db()
    assert award.status == "approved" and award.comment == "材料齐全，同意"

    # Export the approved awards for the finance office.
    page.goto(live_server.url + "/incentives/awards/?status=approved")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "奖补编号" and rows[1][0] == award.pk
    assert Decimal(str(rows[1][10])) == Decimal("150000.00")
