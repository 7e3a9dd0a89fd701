"""The registry pages in a real browser: log in, filter the achievement list (htmx updates the table
in place and keeps the URL a reproducible link), open a record and see its contracts and history,
then run an import preview and confirm it."""

import datetime
import re
from decimal import Decimal

from playwright.sync_api import expect

from achievements import services
from achievements.choices import UnitType
from achievements.models import Achievement
from exchange.samples import write_sample_workbook
from tests.factories import AchievementFactory, TransformationFactory, UnitFactory, cluster

from .helpers import login


def build_records(staff_user):
    institute = UnitFactory(name="中国科学院金属研究所", type=UnitType.INSTITUTE, region="210100")
    university = UnitFactory(name="东北大学", type=UnitType.UNIVERSITY, region="210100")
    target = AchievementFactory(
        unit=institute, title="一种高强度铝合金的制备方法", keywords="铝合金,热处理", cluster=cluster("C02")
    )
    AchievementFactory(unit=university, title="镁合金板材轧制工艺", cluster=cluster("C02"))
    for i in range(12):
        AchievementFactory(
            unit=university, title=f"智能传感器{i}", registered_on=datetime.date(2021, 1, 1 + i)
        )
    TransformationFactory(achievement=target, ref="HT-2023-001", amount=Decimal("1250000.00"))
    services.achievement_update(
        achievement=target, acting_user=staff_user, expected_version=1, trl=7, reason="专家复核"
    )
    return target


def test_staff_filters_the_list_and_opens_a_record(browser_page, live_server, staff_user, tmp_path):
    target = build_records(staff_user)
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")

    page.get_by_role("link", name="成果", exact=True).click()
    expect(page).to_have_url(re.compile(r"/achievements/$"))
    expect(page.locator(".pager-count").first).to_contain_text("共 14 条")
    # django-htmx loads htmx with `defer`: wait until it has run before checking it.
    page.wait_for_function("() => typeof htmx === 'object'")
    page.screenshot(path=tmp_path / "achievement_list.png", full_page=True)

    # Mark the document: if a filter reloaded the whole page, the mark would be gone.
    page.evaluate("() => { window.__sameDocument = true; }")

    # When a two-character Chinese word is searched, the table updates in place and the URL follows.
    page.get_by_role("searchbox").fill("合金")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"[?&]q=%E5%90%88%E9%87%91"))
    expect(page.locator(".pager-count").first).to_contain_text("共 2 条")

    # When a filter select changes, the list narrows again without a page load.
    page.get_by_label("单位类型").select_option("institute")
    expect(page).to_have_url(re.compile(r"unit_type=institute"))
    assert "cluster=&" not in page.url, "empty filters should not clutter the link"
    expect(page.locator(".pager-count").first).to_contain_text("共 1 条")
    assert page.evaluate("() => window.__sameDocument === true")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("一种高强度铝合金的制备方法")
    page.screenshot(path=tmp_path / "achievement_list_filtered.png", full_page=True)

    # The URL is a link that reproduces the view, also when opened afresh (no JavaScript state).
    filtered_url = page.url
    page.goto(filtered_url)
    expect(page.locator(".pager-count").first).to_contain_text("共 1 条")
    expect(page.get_by_label("单位类型")).to_have_value("institute")

    # When the record is opened, its fields, contract (yuan, 2 decimals) and history are shown.
    page.get_by_role("link", name="一种高强度铝合金的制备方法").click()
    expect(page).to_have_url(re.compile(rf"/achievements/{target.pk}/$"))
    expect(page.locator("h1")).to_contain_text("一种高强度铝合金的制备方法")
    expect(page.locator("dl.fields")).to_contain_text("中国科学院金属研究所")
    expect(page.get_by_role("cell", name="HT-2023-001")).to_be_visible()
    expect(page.get_by_text("1,250,000.00").first).to_be_visible()
    history = page.locator("#history")
    expect(history).to_contain_text("专家复核")
    expect(history).to_contain_text("技术成熟度")
    expect(history).to_contain_text("7 原型在实际运行环境中演示")
    page.screenshot(path=tmp_path / "achievement_detail.png", full_page=True)

    # When a workbook is uploaded, the preview lists what would change and nothing is written yet.
    workbook = write_sample_workbook(tmp_path / "import.xlsx", units=2, achievements=3, contracts=2)
    before = Achievement.objects.count()
    page.get_by_role("link", name="导入", exact=True).first.click()
    page.get_by_label("导入文件").set_input_files(str(workbook))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.get_by_role("heading", name="变更预览")).to_be_visible()
    preview = page.locator("table.data").first
    achievements_row = preview.locator("tbody tr", has_text="科技成果")  # the sheet, in the user's language
    expect(achievements_row.locator("td").nth(1)).to_have_text("3")  # 3 to add
    assert Achievement.objects.count() == before, "the preview must not write anything"
    page.screenshot(path=tmp_path / "import_preview.png", full_page=True)

    # When the preview is confirmed, the rows are written.
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("导入完成")).to_be_visible()
    assert Achievement.objects.count() == before + 3
    print(f"registry screenshots in {tmp_path}")
