"""Smoke test in a real browser: a staff member logs in and sees the home page in Chinese."""

from playwright.sync_api import expect

from .helpers import login


def test_staff_logs_in_through_the_login_page_and_sees_the_chinese_home_page(
    browser_page, live_server, staff_user, tmp_path
):
    login(browser_page, live_server, "staff", "pass-for-tests-1")

    expect(browser_page).to_have_url(live_server.url + "/")
    expect(browser_page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(browser_page).to_have_title("辽宁省可转化科技成果库")
    expect(browser_page.locator(".user-box")).to_contain_text("staff")
    expect(browser_page.locator(".user-box")).to_contain_text("厅工作人员")
    expect(browser_page.get_by_role("button", name="退出")).to_be_visible()
    stylesheet_rules = browser_page.evaluate(
        "() => [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.sheet ? l.sheet.cssRules.length : 0)"
    )
    assert stylesheet_rules and all(stylesheet_rules), f"a stylesheet did not load: {stylesheet_rules}"

    screenshot = tmp_path / "home.png"
    browser_page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 10_000
    print(f"home page screenshot: {screenshot}")
