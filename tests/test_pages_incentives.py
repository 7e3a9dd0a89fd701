"""The incentives' list pages through the generic page tests (core.ui.testing), and their query
counts (a fixed number of queries whatever the page size)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.ui.testing import DetailPageTests, ListPageTests, client_for
from incentives.models import Award, Listing, Rule

from .factories import AchievementFactory, TransformationFactory


def make_award(unit, *, status="proposed", year=2024, amount="1000.00", name=None, **fields):
    rule = Rule.objects.get(code="post_subsidy")
    contract = TransformationFactory(achievement=AchievementFactory(unit=unit))
    transferee = contract.transferee
    if name is not None:
        type(transferee).objects.filter(pk=transferee.pk).update(name=name)
    return Award.objects.create(
        rule=rule, year=year, subject_key=f"contract:{contract.pk}", contract=contract, unit=unit,
        beneficiary_kind="transferee", beneficiary_code=transferee.code, beneficiary_name=name or transferee.name,
        city="210200", base=Decimal("20000.00"), amount=Decimal(amount), status=status, explanation="测试",
        rule_version=1, parameters={}, paid_on=datetime.date(2025, 1, 2) if status == "paid" else None, **fields,
    )


class TestAwardList(ListPageTests):
    url_name = "incentives:award_list"
    export_url_names = {"xlsx": "incentives:award_export_xlsx", "csv": "incentives:award_export_csv"}

    def make(self, unit, **fields):
        return make_award(unit, **fields)

    def filter_case(self, unit):
        approved = make_award(unit, status="approved")
        return {"status": "approved"}, [approved], [make_award(unit, status="proposed")]

    def formula_fields(self):
        return {"name": "=HYPERLINK(1)"}


class TestAwardDetail(DetailPageTests):
    url_name = "incentives:award_detail"

    def make(self, unit):
        return make_award(unit)

    def change(self, obj, user):
        from incentives.services import awards_decide

        awards_decide(awards=[obj], approve=True, comment="同意", acting_user=user)
        return "状态", "待审批", "已批准"


def make_listing(unit, **fields):
    title = fields.pop("title", None)
    achievement = AchievementFactory(unit=unit, ip_granted_on=datetime.date(2019, 1, 1), **({"title": title} if title else {}))
    return Listing.objects.create(achievement=achievement, unit=unit, listed_on=datetime.date(2025, 1, 1), **fields)


class TestListingList(ListPageTests):
    url_name = "incentives:listing_list"
    export_url_names = {"xlsx": "incentives:listing_export_xlsx"}

    def make(self, unit, **fields):
        return make_listing(unit, **fields)

    def filter_case(self, unit):
        exempt = make_listing(unit, status="exempt")
        return {"status": "exempt"}, [exempt], [make_listing(unit)]

    def formula_fields(self):
        return {"title": "=HYPERLINK(1)"}


@pytest.mark.django_db
def test_award_list_and_api_queries_do_not_grow_with_the_page(staff_user, unit):
    for _ in range(30):
        make_award(unit)
    client = client_for(staff_user)
    client.get(reverse("incentives:award_list"))  # the session's first request reads more (warm-up)
    client.get("/api/v1/incentives/awards/")
    counts = {}
    for size in (10, 25):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("incentives:award_list"), {"per_page": size}).status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert client.get("/api/v1/incentives/awards/", {"page_size": size}).status_code == 200
        counts[size] = (len(page), len(api))
    assert counts[10] == counts[25]
    assert counts[25][0] <= 15 and counts[25][1] <= 8


@pytest.mark.django_db
def test_public_list_needs_no_login_and_shows_published_fields_only(client, unit):
    listed = make_listing(unit, justification="内部理由，不公开")
    make_listing(unit, status="exempt", title="已接受理由的成果")
    response = client.get(reverse("incentives:public_list"))
    html = response.content.decode()
    assert response.status_code == 200 and listed.achievement.title in html
    assert "内部理由" not in html and "已接受理由的成果" not in html


@pytest.mark.django_db
def test_the_one_button_acts_answer_with_the_services_messages_and_go_back(staff_user, unit):
    """Rule status, parameter, bulk decision, paid, justification decision: the generic one-button
    act (core.ui.views.ButtonActionView); a refusal is the service's message as worded, a stale
    version the usual message, and each goes back to the record (the list page for the bulk act)."""
    client = client_for(staff_user)
    rule = Rule.objects.get(code="post_subsidy")

    def post(name, data, *args):
        return client.post(reverse(f"incentives:{name}", args=args), data, follow=True)

    def said(response):
        return [str(m) for m in response.context["messages"]]

    def went(response):
        return [url for url, _status in response.redirect_chain]

    response = post("rule_status", {"status": "active", "version": rule.version - 1}, rule.pk)
    assert went(response) == [rule.get_absolute_url()]
    assert said(response) == ["该记录已被他人修改，您的保存未生效。请刷新页面查看最新内容后重新修改。"]
    response = post("rule_status", {"status": "retired", "version": rule.version}, rule.pk)
    assert said(response) == ["规则状态已修改。"]

    award = make_award(unit)
    response = post("award_paid", {"paid_on": "2025-01-02"}, award.pk)
    assert went(response) == [award.get_absolute_url()]
    assert said(response) and said(response)[0].startswith("只有已批准的奖补可以标记为已支付")  # no field label before it
    response = post("award_decide", {"award": [award.pk], "decision": "reject", "next": "/incentives/awards/?year=2024"})
    assert went(response) == ["/incentives/awards/?year=2024"]
    assert said(response) == ["不批准时请填写意见。"]
    response = post("award_decide", {"award": [award.pk], "decision": "approve", "next": "https://elsewhere.example/"})
    assert went(response) == [reverse("incentives:award_list")]
    assert said(response) == ["已批准 1 条奖补。"]

    item = make_listing(unit, justification="理由", justification_status="pending")
    response = post("listing_decide", {"version": item.version, "decision": "reject", "comment": ""}, item.pk)
    assert went(response) == [item.get_absolute_url()]
    assert said(response) == ["不接受理由时请填写意见。"]
    response = post("listing_decide", {"version": item.version, "decision": "accept", "comment": "成立"}, item.pk)
    assert said(response) == ["已保存。"]
    assert client.get(reverse("incentives:listing_decide", args=[item.pk])).status_code == 405


@pytest.mark.django_db
def test_the_published_list_is_read_through_its_index(unit):
    """``Listing.Meta.indexes``: status, then newest first, as the public page sorts by default."""
    from django.db import connection

    from incentives import selectors
    from incentives.tables import PublicListingTable

    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite (a planner with statistics may scan a small table)")
    make_listing(unit)
    ordered, _sort = PublicListingTable.order(selectors.public_listings(), "")
    plan = ordered.explain()
    assert "incentive_listing_public_idx" in plan and "TEMP B-TREE" not in plan, plan
