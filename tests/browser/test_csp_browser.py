"""The pages' JavaScript under the Content-Security-Policy in a real browser: the dashboard's charts
(tooltips included), htmx filtering on the registry list, the language switcher, the export link,
the API documentation viewers and the admin run with no policy violation; a locked-out login shows
the Chinese lockout page."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.test_dashboard_pages import build_registry, recompute

from .helpers import login


@pytest.fixture
def violations(browser_page):
    """Every CSP violation and script error the page reports, as text."""
    seen = []
    browser_page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    browser_page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    browser_page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (e) => {
            console.error(`Content Security Policy violation: ${e.effectiveDirective} ${e.blockedURI} ${e.sample}`);
        });"""
    )
    return seen


def test_dashboard_charts_and_tooltips_draw_without_violations(
    browser_page, live_server, staff_user, unit, violations, tmp_path
):
    build_registry(unit)
    recompute()
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")
    response = page.goto("/dashboard/?year=2023")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function("() => window.dashboardCharts && Object.keys(window.dashboardCharts).length >= 8")
    expect(page.locator("#chart-cluster svg")).to_be_visible()

    # hover over the middle of every chart: ECharts builds its tooltips as HTML
    for chart in page.locator(".chart").all():
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(150)

    page.screenshot(path=tmp_path / "dashboard-csp.png", full_page=True)
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_registry_htmx_filter_language_switch_and_export_link_without_violations(
    browser_page, live_server, staff_user, unit, violations
):
    build_registry(unit)
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")
    page.goto("/achievements/")
    page.get_by_role("searchbox").fill("成果")
    page.get_by_role("searchbox").press("Enter")
    # htmx sent the form without its empty fields (site.js) and pushed the address
    expect(page).to_have_url(re.compile(r"/achievements/\?q=%E6%88%90%E6%9E%9C(&|$)"))
    assert not re.search(r"=(&|$)", page.url), page.url

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    assert "q=%E6%88%90%E6%9E%9C" in download.value.url

    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_api_docs_and_admin_work_under_the_policy(browser_page, live_server, staff_user, violations):
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")

    page.goto("/api/v1/docs/")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    page.goto("/api/v1/redoc/")
    # Redoc fetches and lays out the whole schema first: give it time
    expect(page.get_by_text("辽宁省可转化科技成果库 API").first).to_be_visible(timeout=30_000)
    page.goto("/admin/accounts/loginattempt/")
    expect(page.locator("h1")).to_contain_text("登录失败与锁定")
    page.wait_for_load_state("networkidle")
    # The one thing refused on purpose: Redoc's sidebar logo from its vendor's CDN (no third-party hosts).
    assert [v for v in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in v] == []


def test_a_locked_out_login_shows_the_chinese_lockout_page(browser_page, live_server, staff_user):
    page = browser_page
    page.goto("/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.locator("input[name=username]").fill("staff")
        page.locator("input[name=password]").fill("wrong-password")
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        if page.get_by_test_id("lockout").count():
            break
    expect(page.get_by_test_id("lockout")).to_contain_text("已暂时锁定")
    expect(page.locator(".site-header")).to_be_visible()
