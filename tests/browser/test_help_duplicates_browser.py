"""Help and duplicates in a real browser: a unit clerk opens the registration form, follows the
header's help link to the registry's help, comes back, registers an achievement whose patent number
another unit holds (the form asks for confirmation, the clerk ticks it and saves), then edits it
with a reason that the record's history shows."""

from playwright.sync_api import expect

from accounts.services import user_create_unit_user
from achievements.models import Achievement
from tests.factories import AchievementFactory, UnitFactory, make_patent_no

from .helpers import login

PASSWORD = "pass-for-tests-1"
NUMBER = make_patent_no(881_001, year=2021)


def test_clerk_reads_help_confirms_a_co_owned_patent_and_gives_a_reason(browser_page, live_server):
    unit = UnitFactory(name="测试理工大学")
    AchievementFactory(unit=UnitFactory(name="合作研究院"), patent_no=NUMBER)
    user_create_unit_user(username="clerk", password=PASSWORD, unit=unit)
    page = browser_page
    login(page, live_server, "clerk", PASSWORD)

    page.goto("/achievements/new/")
    page.get_by_test_id("help-link").click()
    expect(page).to_have_url(f"{live_server.url}/help/registry/")
    expect(page.get_by_test_id("help-page")).to_contain_text("重复登记")
    page.go_back()

    page.get_by_label("成果编号").fill("CG-BR-1")
    page.get_by_label("成果名称").fill("一种共有专利的制备方法")
    page.get_by_label("知识产权类型").select_option("invention_patent")
    page.get_by_label("专利号").fill(NUMBER)
    page.get_by_label("技术成熟度").select_option("5")
    page.get_by_label("登记日期").fill("2024-03-01")
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".error-summary")).to_contain_text("其他单位已登记相同专利号的成果（1 条）")
    assert not Achievement.objects.filter(unit=unit).exists()
    page.get_by_label("确认登记：该专利为共有专利，其他单位已登记的是同一专利").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已登记")
    record = Achievement.objects.get(unit=unit, ref="CG-BR-1")

    page.goto(f"/achievements/{record.pk}/edit/")
    page.get_by_label("技术成熟度").select_option("6")
    page.get_by_label("修改原因").fill("中试完成")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#history")).to_contain_text("修改：中试完成")
    expect(page.locator("#history")).to_contain_text("技术成熟度")
