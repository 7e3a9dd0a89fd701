"""Achievement pages: list (search, filters, sort, pagination, htmx, query counts), detail with
history, curation (create, edit, withdraw, convertible, merge), optimistic locking, unit scoping."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import user_create_staff
from achievements import services
from achievements.choices import AchievementStatus, IPType, UnitType
from achievements.models import Achievement, Transformation

from .factories import AchievementFactory, TransformationFactory, UnitFactory, cluster, make_patent_no

pytestmark = pytest.mark.django_db

LIST_URL = reverse("achievements:achievement_list")


def detail_url(achievement):
    return reverse("achievements:achievement_detail", args=[achievement.pk])


def titles(response) -> list[str]:
    return [a.title for a in response.context["page_obj"].object_list]


def form_data(**overrides):
    data = {
        "ref": "CG-NEW-1",
        "title": "一种海水淡化膜材料",
        "keywords": "海水淡化,膜",
        "ip_type": IPType.INVENTION_PATENT,
        "patent_no": make_patent_no(424242, year=2021),
        "trl": "6",
        "cluster": "",
        "registered_on": "2024-03-01",
        "ip_granted_on": "",
    }
    data.update(overrides)
    return data


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("achievement_list", []),
        ("achievement_create", []),
        ("transformation_list", []),
    ],
)
def test_anonymous_users_are_sent_to_login(client, name, args):
    response = client.get(reverse(f"achievements:{name}", args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_user_cannot_open_a_record(client):
    achievement = AchievementFactory()
    response = client.get(detail_url(achievement))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_nav_links_to_achievements_and_contracts(staff_client):
    html = staff_client.get(reverse("home")).content.decode()
    assert LIST_URL in html
    assert reverse("achievements:transformation_list") in html


# --- list: search, filters, sort, pagination ------------------------------------------------


def test_two_character_chinese_search_finds_longer_title(staff_client):
    AchievementFactory(title="一种高强度铝合金的制备方法")
    AchievementFactory(title="玉米秸秆综合利用技术")
    response = staff_client.get(LIST_URL, {"q": "合金"})
    assert titles(response) == ["一种高强度铝合金的制备方法"]


def test_search_matches_unit_name_and_keywords(staff_client):
    unit = UnitFactory(name="大连理工大学")
    AchievementFactory(unit=unit, title="船舶焊接机器人")
    AchievementFactory(title="智能传感器", keywords="物联网, 传感")
    AchievementFactory(title="其他成果")
    assert titles(staff_client.get(LIST_URL, {"q": "理工"})) == ["船舶焊接机器人"]
    assert titles(staff_client.get(LIST_URL, {"q": "物联网"})) == ["智能传感器"]


@pytest.mark.parametrize(
    "query",
    [
        "ZL201310699744.2",
        "201310699744.2",
        "2013106997442",
        "zl 2013 1069 9744.2",
        "CN201310699744.2",
        "2013106997",
    ],
)
def test_patent_number_search_ignores_prefix_spaces_and_dot(staff_client, query):
    AchievementFactory(title="目标成果", patent_no="201310699744.2")
    AchievementFactory(title="另一成果", patent_no=make_patent_no(77, year=2019))
    assert titles(staff_client.get(LIST_URL, {"q": query})) == ["目标成果"]


def test_filters_combine_and_keep_the_url(staff_client):
    institute = UnitFactory(type=UnitType.INSTITUTE, region="210202")
    wanted = AchievementFactory(
        unit=institute, title="目标", trl=7, funded=False, convertible=True, cluster=cluster("C02")
    )
    AchievementFactory(unit=institute, title="成熟度低", trl=3, funded=False, cluster=cluster("C02"))
    AchievementFactory(title="高校成果", trl=7, funded=False, cluster=cluster("C02"))
    TransformationFactory(achievement=wanted)
    params = {
        "unit_type": "institute",
        "region": "210200",
        "cluster": "C02",
        "ip_type": "invention_patent",
        "trl_min": "6",
        "trl_max": "9",
        "funded": "false",
        "convertible": "true",
        "status": "active",
        "transformed": "true",
        "unit": institute.code,
    }
    response = staff_client.get(LIST_URL, params)
    assert titles(response) == ["目标"]
    html = response.content.decode()
    # The form shows the current filters, so the page reproduces the view from its URL.
    assert 'name="region" value="210200"' in html  # the region picker's code (its name beside it)
    assert '<span class="picker-current" title="210200">辽宁省大连市</span>' in html
    assert re.search(r'<option value="C02"[^>]*selected', html)


def test_transformed_false_lists_achievements_without_effective_contract(staff_client):
    done = AchievementFactory(title="已转化")
    AchievementFactory(title="未转化")
    TransformationFactory(achievement=done)
    cancelled = AchievementFactory(title="合同已解除")
    TransformationFactory(achievement=cancelled, status="cancelled")
    assert sorted(titles(staff_client.get(LIST_URL, {"transformed": "false"}))) == ["合同已解除", "未转化"]


def test_sort_is_whitelisted_and_stable(staff_client):
    for title in ["乙", "甲", "丙"]:
        AchievementFactory(title=title)
    ascending = titles(staff_client.get(LIST_URL, {"sort": "title"}))
    assert ascending == sorted(ascending)
    descending = titles(staff_client.get(LIST_URL, {"sort": "-title"}))
    assert descending == list(reversed(ascending))
    # An unknown sort key is never sorted by: the page names the parameter and shows no rows.
    response = staff_client.get(LIST_URL, {"sort": "unit__users__password"})
    assert response.status_code == 400 and response.context["sort"] == "-registered_on"
    assert [name for name, _, _ in response.context["filter_errors"]] == ["sort"]
    assert titles(response) == []


def test_pagination_keeps_filters_in_links(staff_client):
    for i in range(12):
        AchievementFactory(title=f"合金{i}")
    response = staff_client.get(LIST_URL, {"q": "合金", "per_page": "10"})
    assert len(titles(response)) == 10
    html = response.content.decode()
    assert "?q=%E5%90%88%E9%87%91&amp;per_page=10&amp;page=2" in html
    page2 = staff_client.get(LIST_URL, {"q": "合金", "per_page": "10", "page": "2"})
    assert len(titles(page2)) == 2
    assert not set(titles(response)) & set(titles(page2))


def test_page_size_is_whitelisted(staff_client):
    response = staff_client.get(LIST_URL, {"per_page": "100000"})
    assert response.context["per_page"] == 25


def test_htmx_request_gets_only_the_results_partial(staff_client):
    AchievementFactory(title="一种高强度铝合金的制备方法")
    full = staff_client.get(LIST_URL, {"q": "合金"})
    partial = staff_client.get(LIST_URL, {"q": "合金"}, HTTP_HX_REQUEST="true")
    assert b"<html" in full.content and b'id="results"' in full.content
    assert b"<html" not in partial.content and b"<table" in partial.content
    assert "一种高强度铝合金的制备方法" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    # The filter form drives the partial and pushes its URL, and the page loads htmx from our own static files.
    assert b'hx-push-url="true"' in full.content and b'hx-target="#results"' in full.content
    assert b"/static/django-htmx/" in full.content or b"htmx" in full.content


def test_history_restore_request_gets_the_full_page(staff_client):
    response = staff_client.get(LIST_URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert b"<html" in response.content


def test_unknown_filter_parameter_from_a_drilldown_is_kept_and_shown(staff_client):
    AchievementFactory(title="存量内", registered_on=datetime.date(2022, 1, 1))
    AchievementFactory(title="存量外", registered_on=datetime.date(2024, 1, 1))
    response = staff_client.get(LIST_URL, {"stock_year": "2023"})
    assert titles(response) == ["存量内"]
    assert b'type="hidden" name="stock_year" value="2023"' in response.content


def test_list_has_a_block_for_export_buttons():
    from pathlib import Path

    source = Path("templates/achievements/achievement_list.html").read_text(encoding="utf-8")
    assert "{% block list_actions %}" in source


def _count_list_queries(client, per_page) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST_URL, {"per_page": per_page, "q": "合金", "convertible": "true"})
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == per_page
    return len(ctx.captured_queries)


@pytest.mark.parametrize("user_kind", ["staff", "unit"])
def test_list_query_count_does_not_grow_with_page_size(client, staff_user, unit_user, user_kind):
    unit = unit_user.unit
    for i in range(110):
        achievement = AchievementFactory(unit=unit, title=f"铝合金{i}", cluster=cluster("C02"))
        if i % 3 == 0:
            TransformationFactory(achievement=achievement)
    client.force_login(staff_user if user_kind == "staff" else unit_user)
    cache.clear()
    client.get(LIST_URL)  # warm caches (demo-banner flag) so both measured requests start equal
    small = _count_list_queries(client, 10)
    large = _count_list_queries(client, 100)
    assert small == large
    assert large <= 9


def test_list_query_count_exact(django_assert_num_queries, staff_client):
    for i in range(30):
        AchievementFactory(title=f"合金{i}")
    cache.clear()
    staff_client.get(LIST_URL)  # warm the demo-banner cache
    # session, user, unit search (q), count, keys of the page, page rows by key, contracts of the
    # page rows, cluster choices, unit choices
    with django_assert_num_queries(9):
        staff_client.get(LIST_URL, {"q": "合金", "per_page": 10})
    with django_assert_num_queries(9):
        staff_client.get(LIST_URL, {"q": "合金", "per_page": 100})


# --- unit scoping ---------------------------------------------------------------------------


def test_unit_user_sees_only_own_unit(unit_client, unit_user, other_unit):
    AchievementFactory(unit=unit_user.unit, title="本单位成果")
    AchievementFactory(unit=other_unit, title="他单位成果")
    response = unit_client.get(LIST_URL)
    assert titles(response) == ["本单位成果"]
    # A unit filter naming another unit cannot widen the view.
    assert titles(unit_client.get(LIST_URL, {"unit": other_unit.code})) == []


def test_other_units_records_are_404_for_unit_user(unit_client, other_unit):
    foreign = AchievementFactory(unit=other_unit)
    for name in ("achievement_detail", "achievement_edit", "transformation_create"):
        assert unit_client.get(reverse(f"achievements:{name}", args=[foreign.pk])).status_code == 404
    response = unit_client.post(
        reverse("achievements:achievement_withdraw", args=[foreign.pk]),
        {"withdrawn_on": "2024-01-01", "version": foreign.version},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == AchievementStatus.ACTIVE


def test_unit_user_creates_for_own_unit_only(unit_client, unit_user, other_unit):
    # A unit field smuggled into the POST is ignored: the form has no unit field for unit users.
    response = unit_client.post(
        reverse("achievements:achievement_create"), form_data(unit=other_unit.pk, convertible="on")
    )
    assert response.status_code == 302
    created = Achievement.objects.get(ref="CG-NEW-1")
    assert created.unit == unit_user.unit
    assert created.convertible is False
    form_html = unit_client.get(reverse("achievements:achievement_create")).content.decode()
    assert 'name="unit"' not in form_html and 'name="convertible"' not in form_html


def test_unit_user_cannot_mark_convertible_restore_or_merge(unit_client, unit_user):
    achievement = AchievementFactory(unit=unit_user.unit, convertible=False)
    other = AchievementFactory(unit=unit_user.unit)
    post = unit_client.post
    assert (
        post(
            reverse("achievements:achievement_convertible", args=[achievement.pk]),
            {"convertible": "1", "version": achievement.version},
        ).status_code
        == 403
    )
    assert (
        post(
            reverse("achievements:achievement_merge", args=[achievement.pk]), {"duplicate": other.pk}
        ).status_code
        == 403
    )
    assert (
        post(
            reverse("achievements:achievement_restore", args=[achievement.pk]),
            {"version": achievement.version},
        ).status_code
        == 403
    )
    achievement.refresh_from_db()
    other.refresh_from_db()
    assert achievement.convertible is False and other.status == AchievementStatus.ACTIVE


def test_unit_user_can_withdraw_own_achievement(unit_client, unit_user):
    achievement = AchievementFactory(unit=unit_user.unit)
    response = unit_client.post(
        reverse("achievements:achievement_withdraw", args=[achievement.pk]),
        {"withdrawn_on": "2024-02-02", "reason": "重复登记", "version": achievement.version},
    )
    assert response.status_code == 302
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.WITHDRAWN
    assert achievement.withdrawn_on == datetime.date(2024, 2, 2)


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_fields_unit_contracts_and_history(staff_client, staff_user):
    achievement = AchievementFactory(title="原标题", cluster=cluster("A01"))
    TransformationFactory(achievement=achievement, amount="1234567.80", received="1000.00", ref="HT-DETAIL")
    services.achievement_update(
        achievement=achievement, acting_user=staff_user, expected_version=1, title="新标题", trl=8
    )
    html = staff_client.get(detail_url(achievement)).content.decode()
    assert "新标题" in html and achievement.unit.name in html and achievement.patent_no in html
    assert "A01 高档数控机床" in html
    assert "HT-DETAIL" in html and "1,234,567.80" in html and "1,000.00" in html
    # History: who, and the diff of the changed fields with old and new values.
    assert "staff" in html
    assert "成果名称" in html and "<del>原标题</del>" in html and "<ins>新标题</ins>" in html
    assert "技术成熟度" in html and "8 实际系统完成并通过鉴定（中试生产）" in html


def test_detail_query_count_does_not_grow_with_contracts_or_history(staff_client, staff_user):
    def measure(achievement):
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(detail_url(achievement)).status_code == 200
        return len(ctx.captured_queries)

    small, large = AchievementFactory(), AchievementFactory()
    TransformationFactory(achievement=small)
    services.achievement_update(achievement=small, acting_user=staff_user, title="改1")
    for _ in range(8):
        TransformationFactory(achievement=large)
    for i in range(6):
        services.achievement_update(achievement=large, acting_user=staff_user, title=f"改{i}")
    cache.clear()
    staff_client.get(detail_url(small))
    assert measure(small) == measure(large)


# --- curation -------------------------------------------------------------------------------


def test_staff_creates_achievement_through_service_with_history(staff_client, staff_user, unit):
    response = staff_client.post(
        reverse("achievements:achievement_create"),
        form_data(
            unit=unit.pk,
            convertible="on",
            cluster=cluster("E02").pk,
            patent_no="ZL" + make_patent_no(424242, year=2021),
        ),
    )
    created = Achievement.objects.get(ref="CG-NEW-1")
    assert response.status_code == 302 and response.url == detail_url(created)
    assert created.unit == unit and created.convertible and created.cluster.code == "E02"
    assert created.patent_no == make_patent_no(424242, year=2021)  # stored without the ZL prefix
    record = created.history.get()
    assert record.history_user == staff_user and record.history_change_reason == "创建"


def test_form_errors_name_the_field_in_chinese(staff_client, unit):
    response = staff_client.post(
        reverse("achievements:achievement_create"),
        form_data(unit=unit.pk, title="", trl="12", patent_no="201310699744.3", registered_on="昨天"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "成果名称：该字段是必填项。" in html
    assert "技术成熟度：" in html
    assert "专利号：专利号“201310699744.3”校验位错误。" in html
    assert "登记日期：输入一个有效的日期。" in html
    assert not Achievement.objects.exists()


def test_duplicate_ref_in_the_same_unit_is_a_field_error(staff_client, unit):
    AchievementFactory(unit=unit, ref="CG-NEW-1")
    response = staff_client.post(reverse("achievements:achievement_create"), form_data(unit=unit.pk))
    assert "成果编号：本单位已有相同成果编号的成果。" in response.content.decode()


def test_errors_of_fields_not_on_the_form_still_name_the_field(staff_client, staff_user):
    achievement = AchievementFactory(registered_on=datetime.date(2020, 1, 1))
    services.achievement_withdraw(
        achievement=achievement, acting_user=staff_user, on=datetime.date(2021, 1, 1), reason="重复登记"
    )
    achievement.refresh_from_db()
    data = form_data(
        unit=achievement.unit.pk,
        ref=achievement.ref,
        patent_no=achievement.patent_no,
        registered_on="2022-01-01",
        version=achievement.version,
    )
    response = staff_client.post(reverse("achievements:achievement_edit", args=[achievement.pk]), data)
    assert response.status_code == 400
    assert "撤回日期：撤回日期不能早于登记日期。" in response.content.decode()


def test_edit_saves_through_service_and_bumps_version(staff_client, staff_user):
    achievement = AchievementFactory()
    data = form_data(
        unit=achievement.unit.pk,
        ref=achievement.ref,
        patent_no=achievement.patent_no,
        version=achievement.version,
    )
    response = staff_client.post(reverse("achievements:achievement_edit", args=[achievement.pk]), data)
    assert response.status_code == 302
    achievement.refresh_from_db()
    assert achievement.title == "一种海水淡化膜材料" and achievement.version == 2
    assert achievement.history.first().history_user == staff_user


def test_unit_of_an_achievement_with_contracts_cannot_change(staff_client, other_unit):
    achievement = AchievementFactory()
    TransformationFactory(achievement=achievement)
    data = form_data(
        unit=other_unit.pk, ref=achievement.ref, patent_no=achievement.patent_no, version=achievement.version
    )
    response = staff_client.post(reverse("achievements:achievement_edit", args=[achievement.pk]), data)
    assert response.status_code == 400
    assert "完成单位：该成果已有转化合同，不能更换完成单位" in response.content.decode()
    achievement.refresh_from_db()
    assert achievement.unit != other_unit


def test_second_concurrent_edit_is_refused_and_overwrites_nothing(client, staff_user):
    other_staff = user_create_staff(username="staff2", password="pass-for-tests-2")
    achievement = AchievementFactory(title="原标题")
    edit_url = reverse("achievements:achievement_edit", args=[achievement.pk])
    first, second = client, type(client)()
    first.force_login(staff_user)
    second.force_login(other_staff)
    # Both open the form and read version 1.
    assert 'name="version" value="1"' in first.get(edit_url).content.decode()
    assert 'name="version" value="1"' in second.get(edit_url).content.decode()
    base = dict(unit=achievement.unit.pk, ref=achievement.ref, patent_no=achievement.patent_no, version=1)
    assert first.post(edit_url, form_data(title="第一人修改", **base)).status_code == 302
    response = second.post(edit_url, form_data(title="第二人修改", **base))
    assert response.status_code == 409
    assert "该记录已被他人修改，您的保存未生效" in response.content.decode()
    achievement.refresh_from_db()
    assert achievement.title == "第一人修改" and achievement.version == 2


def test_stale_withdraw_is_refused_with_message(staff_client, staff_user):
    achievement = AchievementFactory()
    services.achievement_update(achievement=achievement, acting_user=staff_user, title="别人改过")
    response = staff_client.post(
        reverse("achievements:achievement_withdraw", args=[achievement.pk]),
        {"withdrawn_on": "2024-01-01", "reason": "重复登记", "version": 1},
        follow=True,
    )
    assert "该记录已被他人修改" in response.content.decode()
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.ACTIVE


def test_withdraw_before_registration_is_refused_naming_the_field(staff_client):
    achievement = AchievementFactory(registered_on=datetime.date(2022, 3, 1))
    response = staff_client.post(
        reverse("achievements:achievement_withdraw", args=[achievement.pk]),
        {"withdrawn_on": "2021-01-01", "reason": "重复登记", "version": achievement.version},
        follow=True,
    )
    assert "撤回日期：撤回日期不能早于登记日期。" in response.content.decode()
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.ACTIVE


def test_staff_marks_convertible_and_restores(staff_client):
    achievement = AchievementFactory(
        convertible=False, status=AchievementStatus.WITHDRAWN, withdrawn_on=datetime.date(2023, 1, 1)
    )
    staff_client.post(
        reverse("achievements:achievement_convertible", args=[achievement.pk]),
        {"convertible": "1", "version": 1},
    )
    staff_client.post(reverse("achievements:achievement_restore", args=[achievement.pk]), {"version": 2})
    achievement.refresh_from_db()
    assert achievement.convertible and achievement.status == AchievementStatus.ACTIVE
    assert [r.history_change_reason for r in achievement.history.all()[:2]] == ["恢复", "标记为可转化"]


def test_write_actions_refuse_get(staff_client):
    achievement = AchievementFactory()
    for name in ("achievement_restore", "achievement_convertible"):
        response = staff_client.get(reverse(f"achievements:{name}", args=[achievement.pk]))
        assert response.status_code == 405


def test_staff_merges_duplicate_contracts_move(staff_client):
    keep = AchievementFactory()
    duplicate = AchievementFactory(unit=keep.unit)
    elsewhere = AchievementFactory()
    contract = TransformationFactory(achievement=duplicate)
    form_page = staff_client.get(reverse("achievements:achievement_merge", args=[keep.pk])).content.decode()
    assert duplicate.ref in form_page and elsewhere.ref not in form_page
    response = staff_client.post(
        reverse("achievements:achievement_merge", args=[keep.pk]),
        {"duplicate": duplicate.pk, "reason": "同一专利登记两次"},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    duplicate.refresh_from_db()
    assert contract.achievement_id == keep.pk
    assert duplicate.status == AchievementStatus.WITHDRAWN and duplicate.merged_into_id == keep.pk
    html = staff_client.get(detail_url(keep)).content.decode()
    assert "合并重复记录" in html and duplicate.ref in html


def test_a_merged_duplicate_cannot_be_restored(staff_client, staff_user):
    keep = AchievementFactory()
    duplicate = AchievementFactory(unit=keep.unit)
    services.achievement_merge(keep=keep, duplicate=duplicate, acting_user=staff_user, reason="重复")
    duplicate.refresh_from_db()
    page = staff_client.get(detail_url(duplicate)).content.decode()
    assert "恢复为有效" not in page and keep.title in page
    response = staff_client.post(
        reverse("achievements:achievement_restore", args=[duplicate.pk]),
        {"version": duplicate.version},
        follow=True,
    )
    assert "该记录已作为重复记录合并至其他成果，不能恢复。" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == AchievementStatus.WITHDRAWN


def test_merge_refuses_another_units_record(staff_client):
    keep = AchievementFactory()
    elsewhere = AchievementFactory()
    response = staff_client.post(
        reverse("achievements:achievement_merge", args=[keep.pk]),
        {"duplicate": elsewhere.pk, "reason": "重复"},
    )
    assert response.status_code == 400
    assert "重复记录：" in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.status == AchievementStatus.ACTIVE


def test_there_is_no_delete_anywhere(staff_client):
    from achievements import urls

    assert not [p for p in urls.urlpatterns if "delete" in str(p.pattern)]
    achievement = AchievementFactory()
    assert staff_client.delete(detail_url(achievement)).status_code == 405
    assert Achievement.objects.filter(pk=achievement.pk).exists()
    assert Transformation.objects.count() == 0
