"""An annual report through its whole review in a real browser: the unit files it (a figure
different from the registry, explained), staff return it with a comment on one field, the unit
sees the comment, corrects and resubmits, staff accept, and the unit opens a correction
(revision 2), whose differences from revision 1 the diff page lists."""

import re

import pytest
from playwright.sync_api import expect

from reports import services
from reports.models import AnnualReport
from tests import reports_helpers as h

from .helpers import login

PASSWORD = "pass-for-tests-1"
SECTIONS = {
    "sme_contracts": "1", "sme_amount": "50000", "sme_received": "0", "service_contracts": "2",
    "service_amount": "80000", "service_received": "30000", "fiscal_transformed": "1", "companies": "0",
    "venture_staff": "1", "net_income": "40000", "reward_cash": "28000", "reward_equity": "0",
    "rewarded_people": "3", "tto_staff": "2", "tto_managers": "1",
    "typical_cases": "合金技术许可给省内企业", "problems": "技术经理人不足",
}


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager


def switch_user(page, live_server, username):
    page.context.clear_cookies()
    login(page, live_server, username, PASSWORD)


def press(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_file_return_with_a_comment_resubmit_accept_and_revise(browser_page, live_server, staff_user, unit_user, tmp_path):
    h.contracts(unit_user.unit)
    services.cycle_open(year=h.YEAR, acting_user=staff_user)
    report = AnnualReport.objects.get(unit=unit_user.unit, year=h.YEAR)
    page = browser_page

    # The unit files its report: one figure differs from the registry, with its explanation.
    login(page, live_server, "unituser", PASSWORD)
    expect(page.locator("body")).to_contain_text("2024-05-31")  # the deadline on the home page
    page.get_by_role("link", name="年度报告", exact=True).click()
    page.get_by_role("link", name=unit_user.unit.name).click()
    page.get_by_role("link", name="填写").click()
    page.fill("[name=rep__transfer__amount]", "五万")
    for name, value in SECTIONS.items():
        page.fill(f"[name={name}]", value)
    page.select_option("[name=tto_exists]", "true")
    press(page, "保存草稿")
    expect(page.locator(".error-summary")).to_contain_text("转让 · 合同金额（元）：")  # a message, not a crash
    page.fill("[name=rep__transfer__amount]", "140000.00")
    page.fill("[name=rep__non_local__amount]", "40000.00")
    page.fill("[name=exp__transfer__amount]", "12月签订的合同尚未录入成果库")
    page.fill("[name=exp__non_local__amount]", "同上，省外企业")
    press(page, "保存草稿")
    expect(page.locator(".report-figures tr.differs").first).to_contain_text("12月签订的合同尚未录入成果库")
    page.get_by_role("link", name="提交", exact=True).click()
    press(page, "提交")
    expect(page.locator(".review-panel")).to_contain_text("已提交")

    # Staff return it with a comment on the technology-transfer office's staff.
    switch_user(page, live_server, "staff")
    page.goto(live_server.url + report.get_absolute_url())
    page.get_by_role("link", name="退回修改").click()
    page.get_by_label("技术转移机构专职人员数").fill("专职人员数与备案不符，请核实")
    press(page, "退回修改")
    expect(page.locator(".review-panel")).to_contain_text("已退回")

    # The unit sees the comment beside the field, corrects and resubmits.
    switch_user(page, live_server, "unituser")
    page.goto(live_server.url + report.get_absolute_url())
    expect(page.locator(".review-panel")).to_contain_text("专职人员数与备案不符，请核实")
    page.get_by_role("link", name="填写").click()
    page.fill("[name=tto_staff]", "3")
    press(page, "保存草稿")
    page.get_by_role("link", name="重新提交").click()
    press(page, "重新提交")
    expect(page.locator(".review-panel")).to_contain_text("已重新提交")

    # Staff accept: the report is locked.
    switch_user(page, live_server, "staff")
    page.goto(live_server.url + report.get_absolute_url())
    page.get_by_role("link", name="审核通过").click()
    press(page, "审核通过")
    expect(page.locator(".review-panel")).to_contain_text("已通过")
    expect(page.get_by_role("link", name="填写")).to_have_count(0)

    # The unit opens a correction: revision 2, a draft again; revision 1 stays readable.
    switch_user(page, live_server, "unituser")
    page.goto(live_server.url + report.get_absolute_url())
    page.get_by_role("link", name="更正（新修订版）").click()
    press(page, "发起更正")
    expect(page.locator(".review-panel")).to_contain_text("第 2 版")
    page.get_by_role("link", name="填写").click()
    page.fill("[name=companies]", "1")
    press(page, "保存草稿")
    page.get_by_role("link", name="与上一版比较").click()
    expect(page).to_have_url(re.compile(r"/diff/$"))
    expect(page.locator("table.diff")).to_contain_text("以成果创设或参股的企业数")
    page.screenshot(path=tmp_path / "report_diff.png", full_page=True)
    assert list(AnnualReport.objects.filter(unit=unit_user.unit).values_list("revision", "status")) == [
        (1, "accepted"), (2, "draft"),
    ]
