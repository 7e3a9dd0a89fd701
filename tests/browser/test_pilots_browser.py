"""A pilot-test request in a real browser: the achievement's unit asks for a pilot test, picks a
suggested base (the reason shown), the base's operator accepts, starts and completes it with a
higher TRL, and the achievement's page shows the new TRL and the history entry naming the base."""

import re

import pytest
from playwright.sync_api import expect

from accounts.services import user_create_unit_user
from achievements.models import Achievement
from tests.factories import AchievementFactory, UnitFactory, cluster
from tests.pilot_factories import make_base

from .helpers import login

PASSWORD = "pass-for-tests-1"


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager


def test_request_suggestion_accept_complete_raises_trl(browser_page, live_server, tmp_path):
    university = UnitFactory(name="东北大学", region="210100")
    operator_unit = UnitFactory(name="沈阳材料中试公司", region="210100")
    achievement = AchievementFactory(unit=university, title="高强度镁合金板材制备", cluster=cluster("C02"), trl=5)
    user_create_unit_user(username="requester", password=PASSWORD, unit=university)
    user_create_unit_user(username="operator", password=PASSWORD, unit=operator_unit)
    base = make_base(operator_unit, code="BR-1", name="辽宁省新材料中试基地", clusters=("C02",), services_=("pilot_test",))
    make_base(operator_unit, code="BR-2", name="辽宁省食品中试基地", clusters=("D01",), services_=("testing",))

    page = browser_page
    login(page, live_server, "requester", PASSWORD)
    page.goto(f"/pilots/requests/new/?achievement={achievement.pk}")
    page.get_by_label("所需服务").select_option(label="中试熟化")
    page.get_by_label("中试需求").fill("放大至吨级并验证轧制工艺。")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/pilots/requests/\d+/$"))
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_contain_text("辽宁省新材料中试基地")
    expect(suggestions).to_contain_text("服务成果所属产业集群 C02")
    expect(suggestions).not_to_contain_text("辽宁省食品中试基地")
    page.screenshot(path=tmp_path / "suggestions.png", full_page=True)
    suggestions.locator(f"button[data-base='{base.code}']").click()
    expect(page.locator("#request-status")).to_have_text("待受理")
    request_url = page.url

    page.context.clear_cookies()
    login(page, live_server, "operator", PASSWORD)
    page.goto(request_url)
    page.locator("#accept").click()
    expect(page.locator("#request-status")).to_have_text("已受理")
    page.locator("#start").click()
    page.get_by_role("button", name="确认").click()
    expect(page.locator("#request-status")).to_have_text("中试中")
    page.locator("#complete").click()
    page.get_by_label("中试结果").select_option("success")
    page.get_by_label("中试后技术成熟度").select_option("7")
    page.get_by_role("button", name="确认").click()
    expect(page.locator("#request-status")).to_have_text("已完成")

    page.context.clear_cookies()
    login(page, live_server, "requester", PASSWORD)
    page.goto(achievement.get_absolute_url())
    expect(page.locator("dl.fields")).to_contain_text("7 原型在实际运行环境中演示")
    expect(page.locator("#history")).to_contain_text("辽宁省新材料中试基地")
    assert Achievement.objects.get(pk=achievement.pk).trl == 7
