"""The dashboard in a real browser: ECharts draws from the app's own static files, a tile shows the
same figure as the statistics API, and a click on a bar opens the list with the same count."""

import re
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect

from tests.test_dashboard_pages import build_registry, recompute

from .helpers import login


def settle(page):
    """No request in flight when the test ends: the database is flushed right after."""
    page.wait_for_load_state("networkidle")


def open_dashboard(page, live_server, query="year=2023"):
    login(page, live_server, "staff", "pass-for-tests-1")
    page.goto(f"/dashboard/?{query}")
    page.wait_for_function("() => window.dashboardCharts && Object.keys(window.dashboardCharts).length >= 8")


def test_tile_matches_the_api_and_a_bar_click_opens_the_matching_list(
    browser_page, live_server, staff_user, unit, tmp_path
):
    build_registry(unit)
    recompute()
    page = browser_page
    open_dashboard(page, live_server)

    # Given the headline tiles, when the API is asked for the same year, then the figures agree.
    api = page.request.get("/api/v1/stats/summary/?year=2023")
    assert api.ok, api.status
    summary = api.json()
    expect(page.get_by_test_id("tile-contracts")).to_have_text(f"{summary['contracts']:,}")
    expect(page.get_by_test_id("tile-transformed")).to_have_text(f"{summary['transformed']:,}")
    local_rate = (Decimal(str(summary["local_rate_amount"])) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    expect(page.get_by_test_id("tile-local_rate_amount")).to_have_text(f"{local_rate}%")
    # The charts are drawn by ECharts as SVG, and the tables fold away behind "数据表".
    assert page.evaluate("() => typeof echarts") == "object"
    expect(page.locator("#chart-cluster svg")).to_be_visible()
    expect(page.locator("#section-cluster details.data-table table")).to_be_hidden()

    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

    # When the bar of cluster A01 (2 achievements transformed in 2023) is clicked at its pixel position,
    page.locator("#chart-cluster").scroll_into_view_if_needed()
    x, y, value = page.evaluate(
        """() => {
            const chart = window.dashboardCharts.cluster;
            const option = chart.getOption();
            const index = option.yAxis[0].data.indexOf("高档数控机床");
            const point = option.series[0].data[index];
            const [px, py] = chart.convertToPixel({seriesIndex: 0}, [point.value / 2, index]);
            const box = chart.getDom().getBoundingClientRect();
            return [box.left + px, box.top + py, point.value];
        }"""
    )
    assert value == 2
    page.mouse.click(x, y)

    # then the achievements list opens, filtered the same way, with the same count.
    expect(page).to_have_url(re.compile(r"/achievements/\?.*transformed_in=2023.*cluster=A01"))
    expect(page.locator(".pager-count").first).to_contain_text("共 2 条")
    settle(page)


def test_data_table_link_opens_the_contract_list_with_the_same_count(
    browser_page, live_server, staff_user, unit
):
    build_registry(unit)
    recompute()
    page = browser_page
    open_dashboard(page, live_server)

    section = page.locator("#section-mode")
    section.locator("summary", has_text="数据表").click()
    row = section.locator("tr", has=page.locator("th", has_text="作价投资"))
    link = row.locator("td a").first
    expect(link).to_have_text("1")
    link.click()
    expect(page).to_have_url(re.compile(r"/contracts/\?.*mode=equity"))
    expect(page.locator(".pager-count").first).to_contain_text("共 1 条")
    settle(page)


def test_without_javascript_the_figures_appear_as_tables(browser, live_server, staff_user, unit):
    build_registry(unit)
    recompute()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, "staff", "pass-for-tests-1")
    page.goto("/dashboard/?year=2023")
    expect(page.get_by_test_id("tile-contracts")).to_have_text("3")
    expect(page.locator("#section-region table")).to_be_visible()
    expect(page.locator("#section-region tbody tr").first.locator("th")).to_have_text("大连市")
    expect(page.locator("#chart-region")).to_be_hidden()
    settle(page)
    context.close()


def test_print_layout_makes_an_a4_pdf(browser_page, live_server, staff_user, unit, tmp_path):
    build_registry(unit)
    recompute()
    page = browser_page
    open_dashboard(page, live_server, "year=2023&print=1")
    expect(page.locator(".dash-filters")).to_have_count(0)
    page.emulate_media(media="print")
    pdf = tmp_path / "dashboard.pdf"
    page.pdf(path=pdf, format="A4", print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 1 <= pages <= 6, pages
    settle(page)
    print(f"printable dashboard: {pdf}")


def test_chart_labels_and_axes_carry_their_units(browser_page, live_server, staff_user, unit):
    """static/js/numbers.js writes every bar label with the unit the server sent (docs/numbers.md):
    the cities' contract amounts in 万元 (all below 1 亿元 here), the clusters' counts with 项."""
    build_registry(unit)
    recompute()
    page = browser_page
    open_dashboard(page, live_server)
    expected = page.evaluate(
        """() => {
            const option = window.dashboardCharts.region.getOption();
            const series = option.series[0];
            const top = series.data[0].value;
            return {top: top, axis: option.xAxis[0].name,
                    label: series.label.formatter({value: top}), count: window.dashboardCharts.cluster
                      .getOption().series[0].label.formatter({value: 2})};
        }"""
    )
    assert expected["axis"] == "万元"
    assert expected["label"] == f"{expected['top']:,.2f} 万元"
    assert expected["count"] == "2 项"
    # The label is drawn in the chart's SVG as it is formatted.
    expect(page.locator("#chart-region svg")).to_contain_text(expected["label"])
    settle(page)


def test_chart_units_in_english(browser_page, live_server, staff_user, unit):
    build_registry(unit)
    recompute()
    page = browser_page
    login(page, live_server, "staff", "pass-for-tests-1")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/dashboard/?year=2023")
    page.wait_for_function("() => window.dashboardCharts && window.dashboardCharts.region")
    got = page.evaluate(
        """() => {
            const option = window.dashboardCharts.region.getOption();
            const trend = window.dashboardCharts.trend.getOption();
            return {axis: option.xAxis[0].name, label: option.series[0].label.formatter({value: 650}),
                    one: trend.series[1].tooltip.valueFormatter(1), two: trend.series[1].tooltip.valueFormatter(2)};
        }"""
    )
    assert got == {
        "axis": "10,000 yuan",
        "label": "650.00 × 10,000 yuan",
        "one": "1 contract",
        "two": "2 contracts",
    }
    settle(page)
