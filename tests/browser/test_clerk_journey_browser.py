"""A unit clerk's journey in a real browser, end to end: log in, download the blank template from
the import page, fill it as a clerk would (an achievement and a contract below the example rows,
with the values the dropdowns offer), upload it, read the preview (records named by their titles,
the example rows noted as ignored), confirm, wait for the background import (Celery runs eagerly in
tests), and find the notification that it finished (the bell's unread count, the list's entry).
Then register a second contract of the imported achievement on the contract form, with the region
picker and the transferee autocomplete (which offers the transferee the import just created)."""

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from accounts.services import user_create_unit_user
from achievements.models import Achievement, Transferee, Transformation
from exchange import format as fmt
from exchange.models import ImportJob
from exchange.samples import credit_code
from notifications.models import Notification
from tests.factories import UnitFactory

from .helpers import login

PASSWORD = "pass-for-tests-1"
TITLE = "一种船用高强度耐蚀钢板的轧制方法"
TRANSFEREE = "大连远洋海工装备有限公司"
TRANSFEREE_CODE = credit_code(720_001, "210211", "91")


def codes(book, sheet_name: str, column_key: str) -> list:
    """The values of the dropdown on a column of a data sheet, read from the hidden 代码表."""
    sheet = fmt.SHEETS_BY_NAME[sheet_name]
    worksheet = book[sheet.title]
    letter = openpyxl.utils.get_column_letter(sheet.index[column_key] + 1)
    for validation in worksheet.data_validations.dataValidation:
        if any(r.min_col == sheet.index[column_key] + 1 for r in validation.sqref.ranges):
            _sheet, _sep, cells = validation.formula1.partition("!")
            start, end = cells.replace("$", "").split(":")
            column = start.rstrip("0123456789")
            rows = range(int(start[len(column) :]), int(end[len(column) :]) + 1)
            return [book[fmt.CODES_SHEET][f"{column}{row}"].value for row in rows]
    raise AssertionError(f"no dropdown on {sheet_name}.{column_key} ({letter})")


def pick(values: list, text: str):
    """The dropdown entry a clerk picks: the one that contains ``text``."""
    return next(value for value in values if text in str(value))


def fill_as_a_clerk(path, unit) -> None:
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["单位", "科技成果", "转化合同"]
    achievement = {
        "ref": "CG-2024-0815",
        "unit_code": unit.code,
        "title": TITLE,
        "ip_type": pick(codes(book, "achievements", "ip_type"), "发明专利"),
        "patent_no": "ZL201310699744.2",
        "trl": pick(codes(book, "achievements", "trl"), "7"),
        "cluster": pick(codes(book, "achievements", "cluster"), "A01"),
        "funded": pick(codes(book, "achievements", "funded"), "是"),
        "registered_on": "2024-03-15",
        "ip_granted_on": None,
        "convertible": pick(codes(book, "achievements", "convertible"), "否"),
        "status": pick(codes(book, "achievements", "status"), "有效"),
        "withdrawn_on": None,
    }
    contract = {
        "ref": "HT-2024-0815",
        "unit_code": unit.code,
        "achievement_ref": "CG-2024-0815",
        "mode": pick(codes(book, "transformations", "mode"), "许可"),
        "transferee_name": TRANSFEREE,
        "transferee_code": TRANSFEREE_CODE,
        "transferee_region": pick(codes(book, "transformations", "transferee_region"), "甘井子区"),
        "signed_on": "2024-06-18",
        "amount": 1250000,
        "received": 300000.5,
        "status": pick(codes(book, "transformations", "status"), "有效"),
    }
    assert contract["transferee_region"] == "210211 辽宁省大连市甘井子区"
    for sheet, values in ((fmt.ACHIEVEMENTS, achievement), (fmt.TRANSFORMATIONS, contract)):
        worksheet = book[sheet.title]
        assert str(worksheet["A2"].value).startswith(fmt.EXAMPLE_MARK)  # the example row stays
        for index, key in enumerate(sheet.keys, start=1):
            worksheet.cell(row=3, column=index, value=values[key])
    book.save(path)


@pytest.fixture
def clerk(db):
    unit = UnitFactory(name="大连船舶测试大学", region="210211")
    user_create_unit_user(username="clerk", password=PASSWORD, unit=unit)
    return unit


def test_a_clerk_fills_the_template_imports_it_and_is_notified(
    browser_page, live_server, settings, celery_eager, clerk, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_ASYNC_ROWS = 0  # every upload is checked and written by the Celery tasks
    page = browser_page
    login(page, live_server, "clerk", PASSWORD)

    page.goto("/exchange/import/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="中文表头模板").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "本单位成果登记.xlsx"
    download.save_as(path)
    fill_as_a_clerk(path, clerk)

    page.goto("/exchange/import/")
    page.locator("input[type=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并校验").click()
    job = ImportJob.objects.get()
    assert job.run_async  # checked by import_validate_task, written by import_apply_task
    expect(page).to_have_url(re.compile(rf"/exchange/import/{job.pk}/$"))

    # The preview names the records by their titles and lists the ignored example rows.
    expect(page.get_by_role("button", name="确认导入")).to_be_visible()
    changes = page.locator("table.data", has=page.locator("td.record-name"))
    expect(changes).to_contain_text(TITLE)
    expect(changes).to_contain_text(f"HT-2024-0815 · {TITLE} · {TRANSFEREE}")
    expect(page.locator("#ignored-examples")).to_contain_text("科技成果 第 2 行")
    expect(page.locator("#ignored-examples")).to_contain_text("转化合同 第 2 行")
    assert not Achievement.objects.exists()

    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messages .success")).to_contain_text("导入完成", timeout=30_000)
    job.refresh_from_db()
    assert job.status == "done"

    achievement = Achievement.objects.get(ref="CG-2024-0815")
    assert (achievement.title, achievement.trl, achievement.cluster.code) == (TITLE, 7, "A01")
    contract = Transformation.objects.select_related("transferee").get(ref="HT-2024-0815")
    assert (contract.mode, contract.transferee.region, str(contract.received)) == (
        "license",
        "210211",
        "300000.50",
    )
    assert not Achievement.objects.filter(ref__startswith=fmt.EXAMPLE_MARK).exists()

    # The bell counts the unread notifications (preview ready, import done); the list has the entry.
    unread = Notification.objects.filter(recipient__username="clerk", read_at__isnull=True).count()
    assert unread >= 1
    page.reload()
    expect(page.get_by_test_id("notifications-unread")).to_have_text(str(unread))
    page.get_by_test_id("notifications-bell").click()
    entry = page.get_by_test_id("notification-row").filter(has_text="已导入完成")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(path.name)
    expect(entry).to_contain_text("未读")

    # A second contract of the imported achievement on the form: the region picker and the
    # transferee autocomplete, which offers the transferee the import created.
    page.goto(f"/achievements/{achievement.pk}/contracts/new/")
    page.wait_for_function("() => typeof htmx === 'object'")
    page.get_by_label("合同编号").fill("HT-2024-0901")
    page.get_by_label("转化方式").select_option("transfer")
    region = page.get_by_role("combobox", name="受让方地区")
    region.press_sequentially("金州")
    page.locator("#id_transferee_region_options [role=option][data-value='210213']").click()
    expect(region).to_have_value("辽宁省大连市金州区")
    expect(page.locator("input[name=transferee_region]")).to_have_value("210213")
    # picking the existing transferee fills its code and its own region (shown by name)
    name = page.get_by_role("combobox", name="受让方名称")
    name.press_sequentially("远洋海工")
    option = page.locator("#id_transferee_name_options [role=option]")
    expect(option).to_have_count(1)
    expect(option).to_contain_text(TRANSFEREE)
    expect(option).to_contain_text("辽宁省大连市甘井子区")
    option.click()
    expect(page.get_by_role("combobox", name="受让方统一社会信用代码")).to_have_value(TRANSFEREE_CODE)
    expect(region).to_have_value("辽宁省大连市甘井子区")
    expect(page.locator("input[name=transferee_region]")).to_have_value("210211")
    page.get_by_label("签订日期").fill("2024-09-01")
    page.get_by_label("合同金额（元）").fill("600000")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    second = Transformation.objects.select_related("transferee").get(ref="HT-2024-0901")
    assert second.transferee.code == TRANSFEREE_CODE and Transferee.objects.count() == 1
