"""The admin's change lists are readable at 1440 px: no column is cut off at the window's edge."""

from django.utils import timezone

from tests.factories import AchievementFactory, TransformationFactory

from .helpers import login

LONG = "一种基于多源遥感数据融合与深度学习的大范围农作物长势监测、产量预测及灾害评估方法与系统"


def columns_outside(page) -> list[str]:
    """Header labels of the change list whose right edge lies beyond the viewport (or whose table
    is wider than its box without scrolling)."""
    return page.evaluate(
        """() => {
          const box = document.querySelector('#changelist .results').getBoundingClientRect();
          const width = Math.min(document.documentElement.clientWidth, box.right);
          return [...document.querySelectorAll('#result_list thead th')]
            .filter(th => th.getBoundingClientRect().right > width + 1)
            .map(th => th.innerText.trim());
        }"""
    )


def test_achievement_and_contract_change_lists_fit_1440_px(browser_page, live_server, staff_user, unit):
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    for _ in range(3):
        achievement = AchievementFactory(unit=unit, title=LONG)
        TransformationFactory(achievement=achievement, signed_on=timezone.localdate())
    login(page, live_server, "staff", "pass-for-tests-1")
    for url in ("/admin/achievements/achievement/", "/admin/achievements/transformation/"):
        page.goto(live_server.url + url)
        page.wait_for_selector("#result_list")
        assert columns_outside(page) == [], url
        # the long title is shortened in the cell and complete on hover
        assert page.locator(f'#result_list span[title="{LONG}"]').count() >= 1, url
    page.screenshot(path="/tmp/admin_1440_contracts.png")
    page.goto(live_server.url + "/admin/achievements/achievement/")
    page.screenshot(path="/tmp/admin_1440_achievements.png")
