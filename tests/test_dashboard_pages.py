"""The dashboard pages (数据看板): figures from the snapshot, drill-down links whose lists count the
same records, unit scoping, the no-JavaScript tables, the print layout and a bounded query count."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from accounts.services import user_create_unit_user
from achievements.choices import AchievementStatus, IPType, TransformationMode, TransformationStatus, UnitType
from dashboards import catalogue, selectors
from dashboards.selectors import Scope

from .factories import (
    AchievementFactory,
    TransfereeFactory,
    TransformationFactory,
    UnitFactory,
    cluster,
    make_credit_code,
    make_patent_no,
)

URL = "/dashboard/"
D = datetime.date


def recompute():
    call_command("recompute_stats", verbosity=0)


def build_registry(unit):
    """A small registry with the cases the definitions distinguish (see the comments)."""
    institute = UnitFactory(
        code=make_credit_code(900, "210202", "12"),
        name="大连测试研究所",
        type=UnitType.INSTITUTE,
        region="210202",
    )
    local = TransfereeFactory(region="210200")
    outside = TransfereeFactory(code=make_credit_code(700_001, "110108", "91"), region="110108")
    a1 = AchievementFactory(unit=unit, cluster=cluster("A01"), trl=6, registered_on=D(2021, 5, 1))
    a2 = AchievementFactory(
        unit=unit,
        cluster=cluster("E02"),
        ip_type=IPType.SOFTWARE,
        patent_no="",
        trl=4,
        convertible=False,
        registered_on=D(2022, 2, 1),
    )
    a3 = AchievementFactory(
        unit=institute,
        cluster=cluster("A01"),
        ip_type=IPType.UTILITY_MODEL,
        patent_no=make_patent_no(4242, 2019, "2"),
        trl=7,
        registered_on=D(2020, 1, 1),
    )
    # Withdrawn within 2023: not in the 2023 stock. Registered 2024: not in it either.
    AchievementFactory(
        unit=institute,
        trl=3,
        registered_on=D(2023, 1, 5),
        status=AchievementStatus.WITHDRAWN,
        withdrawn_on=D(2023, 10, 1),
    )
    AchievementFactory(unit=institute, cluster=cluster("E02"), registered_on=D(2024, 3, 1))
    # 2023: two contracts of a1 (one local, one outside), one of a3; one cancelled contract of a2.
    TransformationFactory(
        achievement=a1, transferee=local, signed_on=D(2023, 3, 1), amount=Decimal("1000000.00")
    )
    TransformationFactory(
        achievement=a1,
        transferee=outside,
        mode=TransformationMode.LICENSE,
        signed_on=D(2023, 9, 1),
        amount=Decimal("500000.00"),
    )
    TransformationFactory(
        achievement=a3,
        transferee=local,
        mode=TransformationMode.EQUITY,
        signed_on=D(2023, 12, 31),
        amount=Decimal("5000000.00"),
        received=Decimal("2000000.00"),
    )
    TransformationFactory(
        achievement=a2,
        transferee=local,
        signed_on=D(2023, 6, 1),
        amount=Decimal("800000.00"),
        status=TransformationStatus.CANCELLED,
    )
    # 2022: one contract, for the year-on-year change.
    TransformationFactory(
        achievement=a1, transferee=local, signed_on=D(2022, 6, 1), amount=Decimal("300000.00")
    )
    return institute


@pytest.fixture
def registry(unit):
    institute = build_registry(unit)
    recompute()
    return institute


def as_number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def list_total(client, url):
    """The total count a list page shows, and (for contracts) its amount total in yuan."""
    response = client.get(url)
    assert response.status_code == 200, url
    count = response.context["page_obj"].paginator.count
    assert re.search(rf"\b{count}\b", response.content.decode()), "the count is rendered on the list"
    totals = response.context.get("totals") or {}
    return count, {name: value or Decimal(0) for name, value in totals.items()}


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_nav_links_to_the_dashboard(staff_client):
    response = staff_client.get("/")
    assert f'href="{URL}"' in response.content.decode()


def test_tiles_show_the_snapshot_summary(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023})
    assert response.status_code == 200
    summary = selectors.stats_summary(year=2023, scope=Scope())
    tiles = {t["metric"]: t for t in response.context["tiles"]}
    assert tiles["achievements"]["value"] == str(summary["achievements"]) == "3"
    assert tiles["convertible"]["value"] == "2"
    assert tiles["transformed"]["value"] == "2"
    assert tiles["contracts"]["value"] == "3"
    # 6,500,000 yuan: below 1 亿元, so in 万元 with its unit (docs/numbers.md).
    assert (tiles["amount"]["value"], tiles["amount"]["unit"]) == ("650.00", "万元")
    assert tiles["contracts"]["unit"] == "份"
    local_rate = (Decimal(str(summary["local_rate_amount"])) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert tiles["local_rate_amount"]["value"] == f"{local_rate}%"
    # Year on year: 2 transformed against 1 in 2022, 6.5 million against 0.3 million.
    assert tiles["transformed"]["yoy"] == {"text": "+100.0%", "sign": "up"}
    assert tiles["amount"]["yoy"]["text"] == "+2,066.7%"
    html = response.content.decode()
    assert "计算口径" in html
    assert str(selectors.METRIC_DEFINITIONS["transformed"]) in html


def test_amounts_are_in_wan_in_tables_and_yi_on_tiles(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023})
    trend = next(s for s in response.context["sections"] if s["id"] == "trend")
    row_2023 = next(r for r in trend["table"]["rows"] if r["label"] == "2023年")
    amount_cell = next(c for c in row_2023["cells"] if c["metric"] == "amount")
    assert amount_cell["text"] == "650.00"  # 万元
    assert "合同金额（万元）" in trend["table"]["header"]


def test_every_count_links_to_a_list_with_the_same_count(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023})
    checked = 0
    for tile in response.context["tiles"]:
        if tile["url"] and tile["kind"] == "count":
            count, _amount = list_total(staff_client, tile["url"])
            assert count == as_number(tile["value"]), tile["metric"]
            checked += 1
    for section in response.context["sections"]:
        for row in section["table"]["rows"]:
            for cell in row["cells"]:
                if not cell["url"]:
                    continue
                count, amount = list_total(staff_client, cell["url"])
                if cell["kind"] == "count":
                    assert count == as_number(cell["text"]), (section["id"], row["label"], cell["metric"])
                elif cell["kind"] == "wan":
                    total = amount[cell["metric"]]  # the list's amount or received total, in yuan
                    assert f"{total / 10000:.2f}" == cell["text"].replace(",", ""), (
                        section["id"],
                        row["label"],
                    )
                checked += 1
    assert checked > 40


def test_drilldown_links_carry_the_scope(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023, "region": "210200", "unit_type": "institute"})
    tiles = {t["metric"]: t for t in response.context["tiles"]}
    url = tiles["transformed"]["url"]
    assert url.startswith(reverse("achievements:achievement_list"))
    assert "transformed_in=2023" in url and "region=210200" in url and "unit_type=institute" in url
    count, _ = list_total(staff_client, url)
    assert count == 1  # a3, of the Dalian institute registered in a district of Dalian
    contracts_url = tiles["contracts"]["url"]
    assert contracts_url.startswith(reverse("achievements:transformation_list"))
    assert "signed_year=2023" in contracts_url and "status=effective" in contracts_url


def test_charts_data_is_embedded_for_the_script(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023})
    html = response.content.decode()
    assert '<script id="dashboard-data" type="application/json">' in html
    charts = {c["id"]: c for c in response.context["charts"]}
    assert set(charts) == {"trend", "unit", "region", "cluster", "ip_type", "trl", "mode", "local"}
    region = charts["region"]
    assert len(region["categories"]) == 14
    assert region["categories"][0] == "大连市"  # ranked by amount: the Dalian institute's 5 million first
    assert region["series"][0]["data"][0]["url"].endswith("region=210200")
    # Every bar with a value links somewhere.
    for chart in charts.values():
        for series in chart["series"]:
            for point in series["data"]:
                if point["value"] and chart["id"] != "cluster":
                    assert point["url"], chart["id"]


def test_echarts_is_served_from_the_apps_static_files(staff_client, registry):
    assert finders.find("echarts/echarts.min.js")
    html = staff_client.get(URL).content.decode()
    assert re.search(r'<script src="/static/echarts/echarts\.min(\.[0-9a-f]+)?\.js">', html)
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html), "no asset from another host"


def test_tables_are_rendered_on_the_server(staff_client, registry):
    html = staff_client.get(URL, {"year": 2023}).content.decode()
    assert html.count('<details class="data-table" open>') == 8
    assert '<th scope="row">高档数控机床</th>' in html


def test_default_year_is_the_latest_year_with_contracts(staff_client, registry):
    response = staff_client.get(URL)
    assert response.context["year"] == 2023


def test_unit_user_sees_their_own_unit_with_province_figures(client, registry, unit):
    user = user_create_unit_user(username="u2", password="pass-for-tests-1", unit=unit)
    client.force_login(user)
    response = client.get(URL, {"year": 2023, "unit": registry.code, "region": "210200"})
    assert response.status_code == 200
    assert response.context["scope"].unit == unit.code
    assert "unit" not in response.context["form"].fields
    tiles = {t["metric"]: t for t in response.context["tiles"]}
    assert tiles["contracts"]["value"] == "2"  # their unit's contracts, not the institute's
    assert tiles["contracts"]["province"] == "3"
    assert f"unit={unit.code}" in tiles["contracts"]["url"]
    assert unit.name in response.content.decode()
    assert {"unit", "region"}.isdisjoint(c["id"] for c in response.context["charts"])


def test_unit_user_drilldown_counts_match(client, registry, unit):
    user = user_create_unit_user(username="u3", password="pass-for-tests-1", unit=unit)
    client.force_login(user)
    response = client.get(URL, {"year": 2023})
    for tile in response.context["tiles"]:
        if tile["url"] and tile["kind"] == "count":
            count, _ = list_total(client, tile["url"])
            assert count == as_number(tile["value"]), tile["metric"]


def test_invalid_filters_are_reported_and_ignored(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023, "region": "999999", "cluster": "Z99"})
    assert response.status_code == 200
    assert response.context["scope"] == Scope()
    assert "已忽略" in response.content.decode()


def test_stale_snapshot_is_marked(staff_client, registry, monkeypatch):
    status = selectors.snapshot_status()
    monkeypatch.setattr(selectors, "snapshot_status", lambda: {**status, "stale": True})
    html = staff_client.get(URL, {"year": 2023}).content.decode()
    assert 'data-testid="stale"' in html
    assert "尚未计入" in html


def test_print_layout(staff_client, registry):
    response = staff_client.get(URL, {"year": 2023, "print": "1"})
    html = response.content.decode()
    assert "print-layout" in html
    assert 'class="dash-filters' not in html
    assert "指标说明（计算口径）" in html


def test_empty_registry_renders(staff_client):
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert "—" in response.content.decode()


@pytest.mark.parametrize("role", ["staff", "unit"])
def test_query_count_is_bounded_and_independent_of_data_size(
    client, django_assert_max_num_queries, unit, staff_user, role
):
    user = (
        staff_user
        if role == "staff"
        else user_create_unit_user(username="uq", password="x-pass-1234", unit=unit)
    )
    client.force_login(user)
    build_registry(unit)
    recompute()
    client.get(URL, {"year": 2023})  # warm the per-process caches (demo banner)
    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        client.get(URL, {"year": 2023, "cluster": "A01"})
    for i in range(30):
        AchievementFactory(unit=unit, registered_on=D(2023, 1, 1), patent_no=make_patent_no(10_000 + i))
    recompute()
    with django_assert_max_num_queries(QUERY_BUDGET) as large:
        client.get(URL, {"year": 2023, "cluster": "A01"})
    assert len(large.captured_queries) == len(small.captured_queries)


# 40 before the same-unit growth metrics, which read one more statement per set of figures.
QUERY_BUDGET = 48


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (44053, "count", "44,053"),
        ("4026000000.00", "yi", "40.26"),
        ("123456789.00", "wan", "12,345.68"),
        ("50.00", "wan", "0.01"),  # half-up
        (0.401, "rate", "40.1%"),
        (0.40149, "rate", "40.1%"),
        ("650000000", "money", "6.50"),
        ("6500000", "money", "650.00"),
        (None, "rate", "—"),
    ],
)
def test_figures_are_formatted_as_chinese_reports_print_them(value, kind, text):
    from dashboards.views import fmt

    assert fmt(value, kind) == text


def test_year_on_year_change_is_relative_for_counts_and_in_points_for_rates():
    from dashboards.views import change

    assert change(156, 100, "count") == {"text": "+56.0%", "sign": "up"}
    assert change(90, 100, "count") == {"text": "-10.0%", "sign": "down"}
    assert change(5, 0, "count") is None
    assert change(0.4010, 0.3800, "rate") == {"text": "+2.1 个百分点", "sign": "up"}
    assert change(0.3800, 0.4010, "rate") == {"text": "-2.1 个百分点", "sign": "down"}
    assert change(0.5, None, "rate") is None
    assert change("4026000000.00", "1", "yi", engine_yoy=0.9) == {"text": "+90.0%", "sign": "up"}


def test_the_catalogue_metrics_added_later_have_tiles_and_trend_columns(staff_client, registry):
    """received_rate and the same-unit growth figures: tiles and trend columns from the catalogue alone."""
    response = staff_client.get(URL, {"year": 2023})
    tiles = {t["metric"]: t for t in response.context["tiles"]}
    # 2,000,000 received of 6,500,000 signed.
    assert tiles["received_rate"]["value"] == "30.8%"
    _count, totals = list_total(staff_client, tiles["received_rate"]["url"])
    rate = (totals["received"] / totals["amount"] * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert f"{rate}%" == tiles["received_rate"]["value"]
    # Only the university signed in both 2022 and 2023: 1,500,000 against 300,000; one achievement each.
    assert tiles["yoy_amount_same_units"]["value"] == "+400.0%"
    assert tiles["yoy_transformed_same_units"]["value"] == "0.0%"
    assert tiles["yoy_amount_same_units"]["url"] is None and not tiles["yoy_amount_same_units"]["has_yoy"]
    html = response.content.decode()
    assert str(catalogue.metric("yoy_amount_same_units").definition) in html
    trend = next(s for s in response.context["sections"] if s["id"] == "trend")
    header = [str(h) for h in trend["table"]["header"]]
    row_2023 = next(r for r in trend["table"]["rows"] if r["label"] == "2023年")
    cells = {c["metric"]: c["text"] for c in row_2023["cells"]}
    assert cells["yoy_amount_same_units"] == "+400.0%" and cells["received_rate"] == "30.8%"
    assert str(catalogue.metric("received_rate").column_label) in header
