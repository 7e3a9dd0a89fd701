"""Every year, date, number and choice parameter is validated at every door: 400 naming the
parameter in the API and the exports, a form error naming it on the pages; never a 500, never
silently ignored. Unrouted API paths answer JSON."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import user_create_unit_user
from dashboards import engine

from .factories import AchievementFactory, TransformationFactory

pytestmark = pytest.mark.django_db
HUGE = "-99999999999999999999999999"
NEXT_YEAR = str(timezone.localdate().year + 1)

API_CASES = [
    ("/api/v1/achievements/", "stock_year", "0"),
    ("/api/v1/achievements/", "stock_year", HUGE),
    ("/api/v1/achievements/", "stock_year", NEXT_YEAR),
    ("/api/v1/achievements/", "stock_year", "1984"),
    ("/api/v1/achievements/", "stock_year", "2023.5"),
    ("/api/v1/achievements/", "transformed_in", "0"),
    ("/api/v1/achievements/", "transformed_by", HUGE),
    ("/api/v1/achievements/", "funded", "banana"),
    ("/api/v1/achievements/", "convertible", "maybe"),
    ("/api/v1/achievements/", "transformed", "2"),
    ("/api/v1/achievements/", "trl_min", "10"),
    ("/api/v1/achievements/", "trl_max", "abc"),
    ("/api/v1/achievements/", "trl", "0"),
    ("/api/v1/achievements/", "status", "deleted"),
    ("/api/v1/achievements/", "ip_type", "x"),
    ("/api/v1/achievements/", "cluster", "ZZZ"),
    ("/api/v1/achievements/", "region", "abc"),
    ("/api/v1/achievements/", "registered_from", "0001-01-01"),
    ("/api/v1/achievements/", "registered_to", "2023-02-30"),
    ("/api/v1/achievements/", "page", "0"),
    ("/api/v1/achievements/", "page", "abc"),
    ("/api/v1/achievements/", "page", "999"),
    ("/api/v1/achievements/", "page_size", "0"),
    ("/api/v1/achievements/", "page_size", "501"),
    ("/api/v1/achievements/", "ordering", "password"),
    ("/api/v1/achievements/", "format", "pdf"),
    ("/api/v1/transformations/", "signed_year", "-5"),
    ("/api/v1/transformations/", "signed_from", "99999-01-01"),
    ("/api/v1/transformations/", "achievement", "99999999999999999999"),
    ("/api/v1/transformations/", "amount_min", "-1"),
    ("/api/v1/transformations/", "amount_max", "1e300"),
    ("/api/v1/transformations/", "local", "yes please"),
    ("/api/v1/transformations/", "mode", "gift"),
    ("/api/v1/transferees/", "local", "banana"),
    ("/api/v1/units/", "type", "school"),
    ("/api/v1/stats/summary/", "year", "0"),
    ("/api/v1/stats/summary/", "year", HUGE),
    ("/api/v1/stats/summary/", "unit_type", "school"),
    ("/api/v1/stats/summary/", "region", "abc"),
    ("/api/v1/stats/summary/", "cluster", "ZZZ"),
    ("/api/v1/stats/summary/", "format", "pdf"),
    ("/api/v1/stats/breakdown/", "by", "colour"),
    ("/api/v1/stats/timeseries/", "from", "0"),
]
BASE = {
    "/api/v1/stats/summary/": {"year": "2023"},
    "/api/v1/stats/breakdown/": {"year": "2023", "by": "mode"},
    "/api/v1/stats/timeseries/": {"from": "2022", "to": "2023"},
}


@pytest.fixture
def api(staff_user):
    client = APIClient()
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize(("path", "param", "value"), API_CASES)
def test_invalid_api_parameter_is_400_naming_it(api, path, param, value):
    AchievementFactory()
    response = api.get(path, {**BASE.get(path, {}), param: value})
    assert response.status_code == 400, (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")
    assert param in response.json(), response.json()


def test_valid_boolean_and_year_filters_still_filter(api):
    funded = AchievementFactory(funded=True, registered_on=datetime.date(2022, 1, 1))
    unfunded = AchievementFactory(funded=False, registered_on=datetime.date(2022, 1, 1))
    for value, expected in (("true", funded), ("1", funded), ("false", unfunded), ("否", unfunded)):
        ids = [row["id"] for row in api.get("/api/v1/achievements/", {"funded": value}).json()["results"]]
        assert ids == [expected.pk], value
    assert api.get("/api/v1/achievements/", {"stock_year": 2021}).json()["count"] == 0
    assert api.get("/api/v1/achievements/", {"stock_year": 2022}).json()["count"] == 2
    this_year = timezone.localdate().year
    assert api.get("/api/v1/achievements/", {"stock_year": this_year}).status_code == 200
    assert api.get("/api/v1/achievements/", {"page": "last", "ordering": "-title,id"}).status_code == 200


def test_unit_users_invalid_parameters_are_400_too(unit_user):
    client = APIClient()
    client.force_login(unit_user)
    response = client.get("/api/v1/transformations/", {"signed_year": "0"})
    assert response.status_code == 400 and "signed_year" in response.json()


# --- pages and exports ---------------------------------------------------------------------------

PAGE_CASES = [
    ("achievements:achievement_list", "stock_year", "0"),
    ("achievements:achievement_list", "transformed_in", HUGE),
    ("achievements:achievement_list", "funded", "banana"),
    ("achievements:achievement_list", "registered_from", "2023-13-01"),
    ("achievements:achievement_list", "per_page", "7"),
    ("achievements:achievement_list", "page", "-1"),
    ("achievements:transformation_list", "signed_year", "0"),
    ("achievements:transformation_list", "amount_min", "abc"),
    ("achievements:transformation_list", "local", "banana"),
    ("achievements:transformation_list", "sort", "password"),
]


@pytest.mark.parametrize(("url_name", "param", "value"), PAGE_CASES)
def test_invalid_page_parameter_is_a_form_error_naming_it_and_shows_no_rows(
    staff_client, url_name, param, value
):
    TransformationFactory()
    response = staff_client.get(reverse(url_name), {param: value})
    assert response.status_code == 400
    assert [name for name, _, _ in response.context["filter_errors"]] == [param]
    html = response.content.decode()
    assert "筛选条件无效" in html and f"<code>{param}</code>" in html
    assert list(response.context["page_obj"].object_list) == []


def test_htmx_request_gets_the_error_in_place_of_the_table(staff_client):
    response = staff_client.get(
        reverse("achievements:transformation_list"), {"signed_year": "0"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<code>signed_year</code>" in response.content.decode()


@pytest.mark.parametrize("url_name", ["exchange:export_xlsx", "exchange:export_csv"])
@pytest.mark.parametrize(
    ("param", "value"), [("stock_year", "0"), ("funded", "banana"), ("trl", "99"), ("headers", "fr")]
)
def test_invalid_export_parameter_is_400_naming_it(staff_client, url_name, param, value):
    response = staff_client.get(reverse(url_name), {param: value})
    assert response.status_code == 400
    assert param in response.content.decode()


def test_dashboard_reports_each_invalid_filter_by_name(staff_client):
    engine.recompute_full()
    response = staff_client.get(reverse("dashboards:dashboard"), {"year": "0", "unit_type": "x"})
    assert response.status_code == 200
    names = [name for name, _, _ in response.context["invalid_filters"]]
    assert names == ["year", "unit_type"]
    assert "<code>year</code>" in response.content.decode()


def test_dashboard_reports_a_unit_users_scope_filters(client, unit, other_unit):
    user = user_create_unit_user(username="u-dash", password="pass-for-tests-1", unit=unit)
    client.force_login(user)
    response = client.get(reverse("dashboards:dashboard"), {"unit": other_unit.code, "print": "x"})
    assert response.status_code == 200
    assert [name for name, _, _ in response.context["invalid_filters"]] == ["unit", "print"]
    assert response.context["scope"].unit == unit.code


# --- unrouted API paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/", "/api/v2/achievements/", "/api/v1/nothing/", "/api/v1/units/1/x/"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unrouted_api_path_is_json_404(api, path, method):
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_api_path_without_final_slash_redirects_like_django(api):
    response = api.get("/api/v1/achievements", {"page_size": "5"})
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/achievements/?page_size=5"


def test_unrouted_page_path_is_not_json(staff_client):
    response = staff_client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
