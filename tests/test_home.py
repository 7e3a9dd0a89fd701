"""The apps' registrations (core.registry): navigation, API root, dashboard panels, home cards, the
demo banner and /healthz/; and the home page per role, with its query counts."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_create_unit_user
from achievements import services
from core import registry
from core.registry import DashboardPanel, DemoDataCheck, HomeCard, NavItem
from dashboards import engine
from exchange.models import ImportJob, ImportStatus

from .factories import AchievementFactory, TransformationFactory, UnitFactory

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def extra():
    """Register items for one test and remove them afterwards."""
    added = []

    def add(item):
        registry.register(item)
        added.append(item)
        return item

    yield add
    for item in added:
        registry.registry.unregister(type(item), item.name)


def nav_links(response) -> list[tuple[str, str]]:
    html = response.content.decode()
    nav = re.search(r'<nav class="main-nav">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def current_links(response) -> list[str]:
    html = response.content.decode()
    nav = re.search(r'<nav class="main-nav">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'<a href="([^"]+)" aria-current="page">', nav)


# --- navigation -------------------------------------------------------------------------------

ALL_LINKS = [
    ("/", "首页"),
    ("/dashboard/", "数据看板"),
    ("/achievements/", "成果"),
    ("/contracts/", "转化合同"),
    ("/reports/", "年度报告"),
    ("/pilots/", "中试基地"),
    ("/exchange/import/", "导入"),
    ("/incentives/awards/", "激励奖补"),
    ("/admin/", "管理后台"),
]


def test_the_navigation_per_role_keeps_the_links_labels_and_order(client, staff_user, unit_user):
    assert nav_links(client.get("/")) == ALL_LINKS[:1]
    client.force_login(unit_user)
    assert nav_links(client.get("/")) == ALL_LINKS[:8]  # no admin
    client.force_login(staff_user)
    assert nav_links(client.get("/")) == ALL_LINKS


def test_a_user_without_unit_or_staff_sees_no_import_link(client):
    from accounts.models import User

    user = User(username="nobody", is_staff=False)
    assert [item.name for item in registry.nav_items(user)] == [
        "home",
        "dashboard",
        "achievements",
        "contracts",
        "pilot_bases",  # the pilot-base register is readable by every signed-in user
    ]


def test_the_current_page_is_marked(staff_client):
    assert current_links(staff_client.get("/")) == ["/"]
    assert current_links(staff_client.get("/achievements/")) == ["/achievements/"]
    assert current_links(staff_client.get("/contracts/")) == ["/contracts/"]
    assert current_links(staff_client.get("/exchange/import/")) == ["/exchange/import/"]


def test_a_registered_link_appears_in_its_place(staff_client, extra):
    extra(NavItem("test-healthz", "健康", "healthz", order=25, visible=lambda user: user.is_staff))
    links = nav_links(staff_client.get("/"))
    assert links[1:3] == [("/dashboard/", "数据看板"), ("/healthz/", "健康")]


def test_a_name_registered_twice_with_other_contents_is_refused(extra):
    from django.core.exceptions import ImproperlyConfigured

    extra(NavItem("test-twice", "一", "home", order=1))
    registry.register(NavItem("test-twice", "一", "home", order=1))  # the same registration again: fine
    with pytest.raises(ImproperlyConfigured):
        registry.register(NavItem("test-twice", "二", "home", order=1))


def test_a_home_card_in_an_unknown_section_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        HomeCard("x", "x", "x.html", order=1, context=lambda request: {}, section="elsewhere")


# --- API routes ---------------------------------------------------------------------------------


def test_the_api_root_lists_the_registered_routes_in_order(staff_client):
    names = list(staff_client.get("/api/v1/").json())
    assert names == [
        "units",
        "achievements",
        "transferees",
        "transformations",
        "stats",
        "stats_summary",
        "pilot_bases",
        "stats_pilots",
        "reports",
        "incentive_awards",
        "use_before_transfer",
        "notifications",
        "schema",
        "docs",
        "redoc",
    ]
    routes = [route.urlconf for route in registry.api_routes()]
    assert routes == [
        "achievements.api.urls",
        "dashboards.api.urls",
        "pilots.api.urls",
        "reports.api.urls",
        "incentives.api.urls",
        "notifications.api.urls",
    ]


# --- dashboard panels ---------------------------------------------------------------------------


def test_the_dashboard_sections_are_the_registered_panels(client, staff_user, unit_user, extra):
    client.force_login(staff_user)
    sections = client.get(reverse("dashboards:dashboard")).context["sections"]
    assert [s["id"] for s in sections] == [
        "trend",
        "unit",
        "region",
        "cluster",
        "ip_type",
        "trl",
        "mode",
        "local",
    ]
    client.force_login(unit_user)
    sections = client.get(reverse("dashboards:dashboard")).context["sections"]
    assert [s["id"] for s in sections] == ["trend", "cluster", "ip_type", "trl", "mode", "local"]

    seen = []

    def build(ctx):
        seen.append((ctx.year, ctx.scope.unit))
        chart = {"id": "extra", "kind": "bar", "categories": [], "series": []}
        return {
            "id": "extra",
            "title": "附加",
            "table": {"header": [], "rows": []},
            "definitions": [],
            "chart": chart,
        }

    extra(DashboardPanel("test-extra", order=50, build=build))
    extra(DashboardPanel("test-nothing", order=51, build=lambda ctx: None))
    response = client.get(reverse("dashboards:dashboard"), {"year": 2023})
    ids = [s["id"] for s in response.context["sections"]]
    assert ids == ["trend", "cluster", "ip_type", "trl", "mode", "extra", "local"]
    assert seen == [(2023, unit_user.unit.code)]


# --- demo banner and health -----------------------------------------------------------------------


def test_the_demo_banner_asks_the_registered_checks(client):
    banner = "演示数据（模拟）"
    assert banner not in client.get("/").content.decode()
    UnitFactory(synthetic=True)  # the achievements app's check
    cache.clear()
    assert banner in client.get("/").content.decode()


def test_another_apps_check_shows_the_banner_and_is_cached(client, extra):
    calls = []
    extra(DemoDataCheck("test-demo", present=lambda: calls.append(1) or True))
    assert "演示数据（模拟）" in client.get("/").content.decode()
    client.get("/")
    assert len(calls) == 1  # cached: the apps are asked again after 60 s


def test_healthz_reports_the_registered_checks(client, extra):
    extra(registry.HealthCheck("test-part", run=lambda: {"status": "ok", "answer": 42}))
    report = client.get("/healthz/").json()
    assert report["statistics"]["status"] == "ok"  # the statistics app's check
    assert report["test-part"] == {"status": "ok", "answer": 42}


# --- the home page per role -----------------------------------------------------------------------


@pytest.fixture
def world(unit, other_unit, staff_user, unit_user):
    mine = AchievementFactory(unit=unit, registered_on=datetime.date(THIS_YEAR - 1, 3, 1))
    AchievementFactory(unit=other_unit, registered_on=datetime.date(THIS_YEAR - 1, 3, 1))
    # The figure cards show the latest complete year (last year), not today's partial one.
    TransformationFactory(achievement=mine, signed_on=datetime.date(THIS_YEAR - 1, 6, 1))
    TransformationFactory(achievement=mine, signed_on=timezone.localdate())
    gone = AchievementFactory(unit=other_unit, title="近期撤回的测试成果")
    services.achievement_withdraw(
        achievement=gone, acting_user=staff_user, on=timezone.localdate(), reason="重复"
    )
    other_user = user_create_unit_user(username="other-u", password="pass-for-tests-1", unit=other_unit)
    jobs = {
        "mine_waiting": ImportJob.objects.create(
            user=unit_user, unit=unit, original_name="我的草稿.xlsx", status=ImportStatus.PREVIEW_READY
        ),
        "theirs_failed": ImportJob.objects.create(
            user=other_user, unit=other_unit, original_name="他们失败的.xlsx", status=ImportStatus.FAILED
        ),
        "theirs_done": ImportJob.objects.create(
            user=other_user, unit=other_unit, original_name="他们完成的.xlsx", status=ImportStatus.DONE
        ),
    }
    engine.recompute_full()
    return {"mine": mine, "gone": gone, "jobs": jobs}


def cards(response) -> dict:
    assert response.status_code == 200
    return response.context["cards_by_name"]


def test_anonymous_visitors_see_the_introduction_and_the_login_button(client, world):
    response = client.get("/")
    assert response.context["cards"] == []
    assert reverse("login") in response.content.decode()


def test_staff_see_what_waits_for_review(client, staff_user, world):
    client.force_login(staff_user)
    shown = cards(client.get("/"))
    assert list(shown) == [
        "registry",
        "statistics",
        "imports_waiting",
        "recently_withdrawn",
        "recent_imports",
    ]
    # figures, then what waits for review, then work
    waiting = [job.original_name for job in shown["imports_waiting"]["data"]["jobs"]]
    assert waiting == ["他们失败的.xlsx", "我的草稿.xlsx"]  # not the finished one
    assert [a.title for a in shown["recently_withdrawn"]["data"]["records"]] == ["近期撤回的测试成果"]
    assert len(shown["recent_imports"]["data"]["jobs"]) == 3
    assert shown["registry"]["data"]["counts"] == {"total": 3, "active": 2, "units": 2}
    figures = shown["statistics"]["data"]["figures"]
    assert figures["year"] == THIS_YEAR - 1  # the latest complete year, though this year has a contract
    assert figures["contracts"]["value"] == 1  # the province
    html = client.get("/").content.decode()
    assert "待处理的导入" in html and "近期撤回的成果" in html and "统计数据待更新" not in html


def test_staff_see_stale_figures(client, staff_user, world):
    client.force_login(staff_user)
    AchievementFactory(unit=world["mine"].unit)  # not counted yet: a recompute is queued (eager: run)
    from dashboards.models import DirtyCell

    DirtyCell.objects.create(unit_id=world["mine"].unit_id, year=THIS_YEAR)
    shown = cards(client.get("/"))
    assert shown["statistics_status"]["data"]["status"]["stale"] is True
    assert "有修改尚未计入统计" in client.get("/").content.decode()


def test_a_unit_user_sees_their_own_figures_and_imports(client, unit_user, world):
    client.force_login(unit_user)
    shown = cards(client.get("/"))
    assert list(shown) == ["registry", "statistics", "recent_imports"]  # nothing of the review
    assert [job.original_name for job in shown["recent_imports"]["data"]["jobs"]] == ["我的草稿.xlsx"]
    assert shown["registry"]["data"]["counts"] == {"total": 1, "active": 1, "units": 1}
    figures = shown["statistics"]["data"]["figures"]
    assert figures["contracts"]["value"] == 1 and figures["transformed"]["value"] == 1
    assert f"unit={unit_user.unit.code}" in figures["contracts"]["url"]  # their own unit's records
    html = client.get("/").content.decode()
    assert "待确认" in html and "他们失败的.xlsx" not in html and "近期撤回的测试成果" not in html


def test_no_card_is_registered_in_the_deadlines_section_yet(client, staff_user, unit_user, world):
    for user in (staff_user, unit_user):
        client.force_login(user)
        sections = [section["name"] for section in client.get("/").context["sections"]]
        assert "deadlines" not in sections


def test_a_card_registered_by_an_app_shows_in_its_section(client, unit_user, world, extra):
    extra(
        HomeCard(
            "test-deadline",
            "截止日期",
            "core/_nav.html",  # any template
            order=1,
            context=lambda request: {"due": "2026-03-31"},
            section="deadlines",
        )
    )
    extra(HomeCard("test-hidden", "无内容", "core/_nav.html", order=2, context=lambda request: None))
    client.force_login(unit_user)
    response = client.get("/")
    assert response.context["sections"][-1]["name"] == "deadlines"
    assert "test-hidden" not in cards(response)


def test_the_home_page_takes_no_writes(client, staff_user):
    client.force_login(staff_user)
    assert client.post("/").status_code == 405
    assert client.head("/").status_code == 200


def home_queries(client) -> int:
    client.get("/")  # warm: session, the banner's cache, the snapshot pointer's memo
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["anonymous", "staff", "unit"])
def test_the_home_page_reads_a_fixed_number_of_queries_per_role(client, staff_user, unit_user, world, role):
    """Per role a fixed number of queries, whatever the number of records, jobs and units."""
    # staff: session, user, the registry's counts, units, snapshot pointer (read again inside the
    # test's transaction; once a second per process otherwise), jobs waiting, withdrawn records,
    # the snapshot's status (pointer, schedule, dirty, failures), recent jobs. A unit user: session,
    # user, counts, their unit, pointer, their jobs. The figures themselves come from the cache;
    # the pointer is read once more for the year they show (the latest complete year).
    expected = {"anonymous": 0, "staff": 15, "unit": 8}[role]  # reports: one query each; pilots: open requests (staff)
    if role != "anonymous":
        client.force_login(staff_user if role == "staff" else unit_user)
    assert home_queries(client) == expected
    for n in range(5):  # more of everything: the same count
        unit = UnitFactory()
        AchievementFactory(unit=unit)
        ImportJob.objects.create(
            user=unit_user, unit=unit_user.unit, original_name=f"{n}.xlsx", status="failed"
        )
        AchievementFactory(unit=unit_user.unit)
    engine.recompute_full()
    assert home_queries(client) == expected
