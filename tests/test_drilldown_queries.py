"""Drill-down lists stay fast: the "has an effective contract" filters probe one index per
achievement, and the benchmark that times every dashboard link finds every link."""

import pytest
from django.db import connection
from django.urls import reverse

from achievements import selectors
from achievements.models import Achievement
from benchmarks.drilldown_bench import dashboard_links

from .test_dashboard_pages import build_registry, recompute


def sqlite_plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "narrow",
    [
        lambda qs: selectors.achievements_transformed_in(qs, 2023),
        lambda qs: selectors.achievements_transformed_by(selectors.achievements_in_stock(qs, 2023), 2023),
        lambda qs: selectors.achievements_transformed(qs, True),
        lambda qs: selectors.achievements_transformed(qs, False),
    ],
    ids=["transformed_in", "stock_and_transformed_by", "transformed", "not_transformed"],
)
@pytest.mark.parametrize("scope", ["province", "unit"])
def test_contract_condition_is_one_index_probe_per_achievement(db, unit, narrow, scope):
    """Without the (achievement, status, signed_on) index SQLite probes the (status, signed_on)
    index and reads a year of contracts per achievement: minutes on the demo data."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner is checked here; PostgreSQL plans from statistics (see the benchmark)")
    base = Achievement.objects.all() if scope == "province" else Achievement.objects.filter(unit=unit)
    plan = sqlite_plan(narrow(base).order_by())
    assert "USING COVERING INDEX transformation_ach_status_idx (achievement_id=? AND status=?" in plan, plan
    assert "transformation_status_sign_idx" not in plan, plan


def test_year_end_stock_is_counted_from_one_index(db):
    """Without the (registered_on, withdrawn_on) index the count reads every row's withdrawal date."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner is checked here; PostgreSQL plans from statistics (see the benchmark)")
    plan = sqlite_plan(
        selectors.achievements_in_stock(Achievement.objects.all(), 2023).order_by().values("pk")
    )
    assert "USING COVERING INDEX achievement_stock_idx" in plan, plan


def test_benchmark_collects_every_drilldown_link_of_the_dashboard(staff_client, unit):
    build_registry(unit)
    recompute()
    response = staff_client.get(reverse("dashboards:dashboard"), {"year": 2023})
    lists = (reverse("achievements:achievement_list"), reverse("achievements:transformation_list"))
    links = dashboard_links(response.content.decode(), lists)

    expected = {tile["url"] for tile in response.context["tiles"] if tile["url"]}
    for section in response.context["sections"]:
        expected |= {cell["url"] for row in section["table"]["rows"] for cell in row["cells"] if cell["url"]}
    for chart in response.context["charts"]:
        expected |= {point["url"] for s in chart["series"] for point in s["data"] if point.get("url")}
    assert expected and set(links) == expected
    assert len(links) == len(set(links))
    for link in links[:5]:
        assert staff_client.get(link).status_code == 200, link
