"""The pickers in a real browser: a unit clerk registers a contract, picking the transferee's region
by typing 大连 and an existing transferee by typing part of its name, then saves; the contract list
filters by a region picked by name; the admin's unit form picks a region. No CSP violation."""

import re

import pytest
from playwright.sync_api import expect

from accounts.services import user_create_unit_user
from achievements.models import Transformation
from tests.factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory

from .helpers import login

PASSWORD = "pass-for-tests-1"


@pytest.fixture
def violations(browser_page):
    """Every CSP violation and script error the page reports (as in test_csp_browser.py)."""
    seen = []
    browser_page.on(
        "console",
        lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None,
    )
    browser_page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    browser_page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (e) => {
            console.error(`Content Security Policy violation: ${e.effectiveDirective} ${e.blockedURI}`);
        });"""
    )
    return seen


def test_clerk_picks_region_and_existing_transferee_then_saves(browser_page, live_server, violations):
    unit = UnitFactory(name="大连理工测试大学", region="210211")
    user_create_unit_user(username="clerk", password=PASSWORD, unit=unit)
    achievement = AchievementFactory(unit=unit, title="一种船用耐蚀钢的制备方法")
    known = TransfereeFactory(name="大连海辰船舶装备有限公司", region="210213")
    TransformationFactory(achievement=AchievementFactory(unit=unit), transferee=known, ref="HT-OLD")
    page = browser_page
    login(page, live_server, "clerk", PASSWORD)

    page.goto(f"/achievements/{achievement.pk}/contracts/new/")
    page.wait_for_function("() => typeof htmx === 'object'")
    page.get_by_label("合同编号").fill("HT-PICK-001")
    page.get_by_label("转化方式").select_option("transfer")

    # Region: the code input is hidden and a search box takes its label; typing 大连 offers the city
    # first, then its districts; picking one puts the code in the hidden input.
    region = page.get_by_role("combobox", name="受让方地区")
    expect(page.locator("input[name=transferee_region]")).to_be_hidden()
    region.press_sequentially("大连")
    options = page.locator("#id_transferee_region_options [role=option]")
    expect(options.first).to_have_text(re.compile(r"^辽宁省大连市\s*210200"))
    page.locator("#id_transferee_region_options [role=option][data-value='210212']").click()
    expect(region).to_have_value("辽宁省大连市旅顺口区")
    expect(page.locator("input[name=transferee_region]")).to_have_value("210212")
    expect(page.locator("#id_transferee_region_options")).to_be_hidden()

    # Transferee: two characters of its name offer the existing one; picking it fills the code,
    # the name and the region (shown by name).
    name = page.get_by_role("combobox", name="受让方名称")
    name.press_sequentially("海辰")
    option = page.locator("#id_transferee_name_options [role=option]")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("大连海辰船舶装备有限公司")
    expect(option).to_contain_text("辽宁省大连市金州区")
    option.click()
    expect(name).to_have_value("大连海辰船舶装备有限公司")
    expect(page.get_by_role("combobox", name="受让方统一社会信用代码")).to_have_value(known.code)
    expect(region).to_have_value("辽宁省大连市金州区")
    expect(page.locator("input[name=transferee_region]")).to_have_value("210213")

    page.get_by_label("签订日期").fill("2024-03-15")
    page.get_by_label("合同金额（元）").fill("800000")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    contract = Transformation.objects.get(ref="HT-PICK-001")
    assert contract.transferee_id == known.pk
    expect(page.locator("body")).to_contain_text("HT-PICK-001")
    shown = page.locator("span.region[title='210213']").first
    expect(shown).to_have_text("辽宁省大连市金州区")
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_contract_list_filters_by_a_region_picked_by_keyboard(
    browser_page, live_server, staff_user, violations
):
    TransformationFactory(ref="HT-DL", transferee=TransfereeFactory(region="210213"))
    TransformationFactory(ref="HT-BJ", transferee=TransfereeFactory(region="110108"))
    page = browser_page
    login(page, live_server, "staff", PASSWORD)
    page.goto("/contracts/")
    page.wait_for_function("() => typeof htmx === 'object'")
    page.evaluate("() => { window.__sameDocument = true; }")
    box = page.get_by_role("combobox", name="受让方地区")
    box.press_sequentially("海淀")
    expect(page.locator("#id_transferee_region_options [role=option]").first).to_contain_text("北京市海淀区")
    box.press("ArrowDown")
    box.press("Enter")
    # the hidden code changed: the filter form refreshed the table in place and pushed the URL
    expect(page).to_have_url(re.compile(r"[?&]transferee_region=110108(&|$)"))
    expect(page.locator("#results")).to_contain_text("HT-BJ")
    expect(page.locator("#results")).not_to_contain_text("HT-DL")
    assert page.evaluate("() => window.__sameDocument") is True
    # emptying the box clears the filter
    box.fill("")
    box.press("Tab")
    expect(page).not_to_have_url(re.compile(r"transferee_region="))
    expect(page.locator("#results")).to_contain_text("HT-DL")
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_admin_unit_form_picks_a_region(browser_page, live_server, staff_user, violations):
    unit = UnitFactory(name="沈阳测试研究院", region="210102")
    page = browser_page
    login(page, live_server, "staff", PASSWORD)
    page.goto(f"/admin/achievements/unit/{unit.pk}/change/")
    box = page.locator("#id_region_search")
    expect(box).to_have_value("辽宁省沈阳市和平区")
    box.fill("")
    box.press_sequentially("浑南")
    page.locator("#id_region_options [role=option][data-value='210112']").click()
    expect(page.locator("input[name=region]")).to_have_value("210112")
    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    unit.refresh_from_db()
    assert unit.region == "210112"
    page.wait_for_load_state("networkidle")
    assert violations == []
