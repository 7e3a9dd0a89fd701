"""Every pilots page renders in Chinese and in English, and bad input on the pilots' forms gets a
400 naming the field (never a 500, nothing written), dates held to 1985-01-01..today (issue 11)."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.services import user_create_unit_user
from pilots import services
from pilots.models import BaseFund, BaseRating, BaseStatusChange, PilotService

from .factories import AchievementFactory, cluster
from .pilot_factories import make_base, make_report

pytestmark = pytest.mark.django_db

TOMORROW = datetime.date.today() + datetime.timedelta(days=1)


@pytest.fixture
def records(unit, other_unit, staff_user):
    base = make_base(other_unit, code="PG-1", clusters=("A01",))
    report = make_report(base, 2024)
    services.evaluate_year(year=2024, acting_user=staff_user)
    rubric = services.rubric_for_year(year=2024, acting_user=staff_user)
    achievement = AchievementFactory(unit=unit, cluster=cluster("A01"), trl=5)
    requester = user_create_unit_user(username="pg-req", password="pass-for-tests-1", unit=unit)
    operator = user_create_unit_user(username="pg-op", password="pass-for-tests-1", unit=other_unit)
    request = services.request_create(
        achievement=achievement,
        service=PilotService.objects.get(code="pilot_test"),
        description="放大",
        acting_user=requester,
    )
    request = services.request_send(request=request, base=base, acting_user=requester)
    request = services.request_answer(request=request, accept=True, acting_user=operator)
    return {
        "base": base,
        "report": report,
        "evaluation": base.evaluations.get(year=2024),
        "rubric": rubric,
        "indicator": rubric.indicators.first(),
        "request": request,
        "operator": operator,
    }


def page_urls(r):
    base, report, request = r["base"], r["report"], r["request"]
    return [
        reverse("pilots:base_list"),
        reverse("pilots:base_list") + "?city=210100&status=active&cluster=A01",
        reverse("pilots:base_create"),
        reverse("pilots:base_detail", args=[base.pk]),
        reverse("pilots:base_edit", args=[base.pk]),
        reverse("pilots:base_status", args=[base.pk]),
        reverse("pilots:base_fund", args=[base.pk]),
        reverse("pilots:base_rating", args=[base.pk]),
        reverse("pilots:report_list"),
        reverse("pilots:report_detail", args=[report.pk]),
        reverse("pilots:report_revisions", args=[report.pk]),
        reverse("pilots:evaluation_list") + "?year=2024",
        reverse("pilots:evaluation_detail", args=[r["evaluation"].pk]),
        reverse("pilots:rubric_detail", args=[r["rubric"].pk]),
        reverse("pilots:rubric_edit", args=[r["rubric"].pk]),
        reverse("pilots:indicator_edit", args=[r["indicator"].pk]),
        reverse("pilots:request_list"),
        reverse("pilots:request_queue"),
        reverse("pilots:request_create"),
        reverse("pilots:request_detail", args=[request.pk]),
        reverse("pilots:request_start", args=[request.pk]),
        "/api/v1/pilot-bases/",
        f"/api/v1/pilot-bases/{base.pk}/",
        "/api/v1/stats/pilots/?year=2024",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_pilots_page_renders_in_both_languages(client, staff_user, records, language):
    client.force_login(staff_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in page_urls(records):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if "/api/" not in url:
            assert f'<html lang="{"en" if language == "en" else "zh-hans"}">' in response.content.decode(), url


def _post(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 400, (url, response.status_code)
    return response.content.decode()


def test_bad_register_input_names_the_field_and_writes_nothing(client, staff_user, records):
    base = records["base"]
    client.force_login(staff_user)
    status_url = reverse("pilots:base_status", args=[base.pk])
    for day in ("1984-12-31", TOMORROW.isoformat(), "2024-02-30", "不是日期"):
        page = _post(
            client,
            status_url,
            {"version": base.version, "status": "suspended", "effective_on": day, "reason": "检查"},
        )
        assert "生效日期" in page, day
    assert BaseStatusChange.objects.filter(base=base).count() == 1  # only the designation
    fund_url = reverse("pilots:base_fund", args=[base.pk])
    assert "年度" in _post(client, fund_url, {"year": 1984, "amount": "100"})
    assert "年度" in _post(client, fund_url, {"year": TOMORROW.year + 1, "amount": "100"})
    assert "省级资金" in _post(client, fund_url, {"year": 2024, "amount": "-1"})
    assert "省级资金" in _post(client, fund_url, {"year": 2024, "amount": "abc"})
    assert not BaseFund.objects.filter(base=base).exists()
    rating_url = reverse("pilots:base_rating", args=[base.pk])
    assert "运行管理评分" in _post(
        client, rating_url, {"year": 2024, "management": "101", "reputation": "80"}
    )
    assert not BaseRating.objects.filter(base=base).exists()
    edit = {
        "version": base.version,
        "code": base.code,
        "name": base.name,
        "operator": base.operator_id,
        "city": "999999",
        "designated_year": 1984,
        "site_area_m2": "-3",
        "equipment_count": "x",
        "staff_count": 5,
    }
    page = _post(client, reverse("pilots:base_edit", args=[base.pk]), edit)
    for label in ("所在城市", "认定年份", "场地面积", "仪器设备"):
        assert label in page, label
    base.refresh_from_db()
    assert base.site_area_m2 == Decimal("10000.00")


def test_bad_request_dates_name_the_field(client, records):
    request = records["request"]
    client.force_login(records["operator"])
    url = reverse("pilots:request_start", args=[request.pk])
    for day in (TOMORROW.isoformat(), "1984-01-01", "2024-13-01"):
        assert "开始日期" in _post(client, url, {"version": request.version, "started_on": day}), day
    request.refresh_from_db()
    assert request.status == "accepted" and request.started_on is None


def test_bad_bands_name_the_field_and_write_nothing(client, staff_user, records):
    indicator, rubric = records["indicator"], records["rubric"]
    rubric.refresh_from_db()
    before = sorted((b.lower, b.points) for b in indicator.bands.all())
    client.force_login(staff_user)
    url = reverse("pilots:indicator_edit", args=[indicator.pk])
    for bands in ("0: nan", "nan: 1", "inf: 1", "0: inf", "1e30: 1", "0: 1.234", "0.00001: 1"):
        page = _post(client, url, {"version": rubric.version, "weight": indicator.weight, "bands": bands})
        assert "分档" in page, bands
    assert sorted((b.lower, b.points) for b in indicator.bands.all()) == before
    for bands in ([(0, float("nan"))], [(float("inf"), 1)], [(Decimal("1e30"), 1)], [("x", 1)]):
        with pytest.raises(ValidationError):
            services.band_set(indicator=indicator, bands=bands, acting_user=staff_user)
    with pytest.raises(ValidationError):
        services.band_set(indicator=indicator, bands=[(0, 1)], weight="nan", acting_user=staff_user)
    indicator.refresh_from_db()
    assert sorted((b.lower, b.points) for b in indicator.bands.all()) == before


def test_the_indicator_page_saves_the_bands_refuses_a_stale_version_and_outsiders(
    client, staff_user, records
):
    from django.contrib.messages import get_messages

    indicator, rubric = records["indicator"], records["rubric"]
    rubric.refresh_from_db()
    url = reverse("pilots:indicator_edit", args=[indicator.pk])
    client.force_login(records["operator"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": rubric.version, "weight": "5", "bands": "0: 1"}).status_code == 403
    client.force_login(staff_user)
    assert client.get(reverse("pilots:indicator_edit", args=[10**9])).status_code == 404
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["rubric"] == rubric and page.context["indicator"] == indicator
    assert page.context["form"].initial["version"] == rubric.version
    response = client.post(url, {"version": rubric.version, "weight": "10", "bands": "0: 2\n5：9"})
    assert response.status_code == 302 and response["Location"] == rubric.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["分档已保存。"]
    indicator.refresh_from_db()
    assert indicator.weight == 10
    assert sorted((b.lower, b.points) for b in indicator.bands.all()) == [(0, 2), (5, 9)]
    stale = client.post(url, {"version": rubric.version, "weight": "10", "bands": "0: 3"})  # read before the save
    assert stale.status_code == 409 and stale.context["rubric"].version == rubric.version + 1
    assert sorted((b.lower, b.points) for b in indicator.bands.all()) == [(0, 2), (5, 9)]


def test_the_revise_page_sends_the_version_it_showed_and_a_stale_one_gets_the_message(client, records):
    from core.exceptions import StaleVersionError
    from pilots.models import PerformanceReport

    report = records["report"]
    report.refresh_from_db()
    client.force_login(records["operator"])
    url = reverse("pilots:report_revise", args=[report.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f'name="version" value="{report.version}"' in page.content.decode()
    response = client.post(url, {"version": report.version - 1, "note": "更正"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [str(StaleVersionError.default_message)]
    assert response.redirect_chain[0][0] == report.get_absolute_url()
    assert PerformanceReport.objects.filter(base=records["base"]).count() == 1
    assert PerformanceReport.objects.get(pk=report.pk).version == report.version
    response = client.post(url, {"version": report.version}, follow=True)
    current = PerformanceReport.objects.get(base=records["base"], is_current=True)
    assert current.revision == 2 and response.redirect_chain[0][0] == current.get_absolute_url()
    # the same post again (another tab, a retry): refused, no third revision
    response = client.post(url, {"version": report.version}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["只有最新的已通过修订版可以发起更正。"]
    assert PerformanceReport.objects.filter(base=records["base"]).count() == 2
    # past the page's check (two posts at once), the service's check under the lock refuses it
    with pytest.raises(StaleVersionError):
        services.report_revise(report=report, acting_user=records["operator"], expected_version=report.version)
    assert PerformanceReport.objects.filter(base=records["base"]).count() == 2


def test_tested_achievements_that_are_no_ids_name_the_field(client, records):
    from pilots.models import PerformanceReport

    client.force_login(records["operator"])
    url = reverse("pilots:report_create", args=[records["base"].pk])
    figures = {"year": 2023, "pilot_tests": 1, "achievements_tested": 1, "enterprises_served": 2,
               "enterprises_local": 1, "revenue": "1000.00", "equipment_utilisation": "50", "staff_year_end": 3}
    for raw in ("²", "9" * 5000, "99999999999999999999", "1,x"):
        assert "库中的中试成果" in _post(client, url, {**figures, "achievements": raw}), raw[:20]
    assert not PerformanceReport.objects.filter(base=records["base"], year=2023).exists()
