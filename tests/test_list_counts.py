"""The capped count of the list pages (core.ui.views.ListView.count_rows): beyond the cap a list
says so (“超过 N 条”) instead of counting every matching row, shows no partial sums, and counts
exactly on request (``?count=exact``), for the last page and for a page past the cap."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from .factories import AchievementFactory, TransformationFactory, UnitFactory

pytestmark = pytest.mark.django_db

ACHIEVEMENTS = reverse("achievements:achievement_list")
CONTRACTS = reverse("achievements:transformation_list")


@pytest.fixture
def cap(settings):
    settings.LIST_COUNT_CAP = 5
    return 5


@pytest.fixture
def seven(db):
    unit = UnitFactory()
    return [
        AchievementFactory(unit=unit, registered_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i))
        for i in range(7)
    ]


def pager_count(response) -> str:
    text = re.search(r'<span class="pager-count">(.*?)</span>', response.content.decode(), re.S).group(1)
    return re.sub(r"<[^>]+>", "", text).strip()


def test_a_list_under_the_cap_is_counted_exactly(staff_client, settings, seven):
    settings.LIST_COUNT_CAP = 7
    response = staff_client.get(ACHIEVEMENTS)
    assert response.context["count_capped"] is False
    assert response.context["page_obj"].paginator.count == 7
    assert pager_count(response) == "共 7 条"


def test_beyond_the_cap_the_list_says_so_and_links_the_exact_count(staff_client, cap, seven):
    response = staff_client.get(ACHIEVEMENTS, {"per_page": 10})
    assert response.context["count_capped"] is True
    assert pager_count(response).startswith(f"超过 {cap} 条")
    assert "共 7 条" not in response.content.decode()
    link = re.search(r'href="([^"]*)"[^>]*data-testid="exact-count"', response.content.decode()).group(1)
    assert "count=exact" in link and "per_page=10" in link.replace("&amp;", "&")
    # Every record is still listed (the cap limits the count, not the rows).
    assert len(response.context["page_obj"].object_list) == 7

    exact = staff_client.get(ACHIEVEMENTS, {"per_page": 10, "count": "exact"})
    assert exact.context["count_capped"] is False
    assert pager_count(exact) == "共 7 条"


def test_the_exact_count_follows_the_filters(staff_client, cap, seven):
    other = UnitFactory()
    for _ in range(2):
        AchievementFactory(unit=other)
    response = staff_client.get(ACHIEVEMENTS, {"unit": other.code})
    assert pager_count(response) == "共 2 条"  # under the cap: exact without asking
    response = staff_client.get(ACHIEVEMENTS, {"unit": seven[0].unit.code, "count": "exact"})
    assert pager_count(response) == "共 7 条"


def test_the_last_page_and_pages_past_the_cap_are_counted_exactly(staff_client, cap, seven):
    unit = seven[0].unit
    for _ in range(5):
        AchievementFactory(unit=unit)  # 12 in all, pages of 10, a cap of 5
    first = staff_client.get(ACHIEVEMENTS, {"per_page": 10})
    assert first.context["count_capped"] is True
    assert len(first.context["page_obj"].object_list) == 10
    assert first.context["page_obj"].has_next()
    html = first.content.decode().replace("&amp;", "&")
    assert "第 1 页" in html and "第 1 / " not in html  # no number of pages while capped
    assert re.search(r'href="\?per_page=10&page=last"[^>]*>末页', html)

    second = staff_client.get(ACHIEVEMENTS, {"per_page": 10, "page": 2})  # (2 − 1) × 10 ≥ 5: past the cap
    assert second.context["count_capped"] is False
    assert pager_count(second) == "共 12 条"
    assert len(second.context["page_obj"].object_list) == 2

    last = staff_client.get(ACHIEVEMENTS, {"per_page": 10, "page": "last"})
    assert last.context["count_capped"] is False
    assert last.context["page_obj"].number == 2
    assert pager_count(last) == "共 12 条"
    assert [a.pk for a in last.context["page_obj"].object_list] == [
        a.pk for a in second.context["page_obj"].object_list
    ]


def test_capped_contract_totals_are_not_shown_partial(staff_client, cap):
    unit = UnitFactory()
    amounts = [Decimal(10_000 * (i + 1)) for i in range(7)]
    for amount in amounts:
        TransformationFactory(achievement=AchievementFactory(unit=unit), amount=amount)
    response = staff_client.get(CONTRACTS)
    html = response.content.decode()
    assert response.context["totals"] is None
    assert "合计：记录超过计数上限" in html
    assert "合计：合同金额" not in html

    exact = staff_client.get(CONTRACTS, {"count": "exact"})
    assert exact.context["totals"]["count"] == 7
    assert exact.context["totals"]["amount"] == sum(amounts)
    assert "合计：合同金额" in exact.content.decode()


def test_a_cap_of_zero_counts_every_list_exactly(staff_client, settings, seven):
    settings.LIST_COUNT_CAP = 0
    response = staff_client.get(ACHIEVEMENTS)
    assert response.context["count_capped"] is False
    assert pager_count(response) == "共 7 条"


def test_the_capped_count_reads_at_most_cap_plus_one_rows(staff_client, cap, seven):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        staff_client.get(ACHIEVEMENTS)
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and '"achievements_achievement"' in q["sql"]
    ]
    assert counts and all(f"LIMIT {cap + 1}" in sql for sql in counts), counts


def test_an_unknown_count_value_is_named(staff_client, cap, seven):
    response = staff_client.get(ACHIEVEMENTS, {"count": "all"})
    assert response.status_code == 400
    assert "<code>count</code>" in response.content.decode()
    assert response.context["page_obj"].object_list == []


@pytest.mark.parametrize("sort", ["", "-registered_on", "title", "-unit", "trl"])
def test_pages_in_the_second_half_read_from_the_end_give_the_same_rows(staff_client, settings, sort):
    """``ListView.seek_rows``: the pages of the second half are read in the reverse order; every
    page holds the records the plain order puts there."""
    settings.LIST_COUNT_CAP = 0
    units = [UnitFactory(name=name) for name in ("乙大学", "甲研究院")]
    for i in range(23):
        AchievementFactory(
            unit=units[i % 2],
            trl=1 + i % 3,  # ties, broken by the primary key
            title=f"成果{i % 5}",
            registered_on=datetime.date(2021, 1, 1) + datetime.timedelta(days=i // 4),
        )
    params = {"per_page": 10, **({"sort": sort} if sort else {})}
    pages = [
        [a.pk for a in staff_client.get(ACHIEVEMENTS, {**params, "page": n}).context["page_obj"].object_list]
        for n in (1, 2, 3)
    ]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        last = staff_client.get(ACHIEVEMENTS, {**params, "page": "last"}).context["page_obj"].object_list
    assert [a.pk for a in last] == pages[2]
    if not sort:  # newest first: the last page's keys are read oldest first, without an offset
        keys = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "achievements_achievement"."id" AS')]
        assert keys and '"registered_on" ASC' in keys[0] and "OFFSET" not in keys[0], keys
    assert [len(p) for p in pages] == [10, 10, 3]
    # The same order as one query over the whole list (the table's sort, then the primary key).
    from achievements.models import Achievement
    from achievements.tables import AchievementTable

    ordered, _sort = AchievementTable.order(Achievement.objects.all(), sort)
    assert pages[0] + pages[1] + pages[2] == list(ordered.values_list("pk", flat=True))


@pytest.mark.parametrize("cap_value", [3, 7, 20])
@pytest.mark.parametrize("query", [{}, {"sort": "title"}, {"page": "2"}, {"page": "3", "per_page": 10}])
def test_a_list_counted_from_its_keys_answers_as_one_counted_twice(
    staff_client, settings, monkeypatch, seven, cap_value, query
):
    """A selector's hint ``count_from_keys`` (a filter that costs as much to count as to sort, such
    as ``transformed_in`` read from the contracts of a past year) makes the list read its sorted
    keys once, up to the cap, instead of a capped count and then the page: the count, the capped
    notice, the page and its rows are the same either way, with one query fewer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from achievements.filtersets import AchievementFilterSet
    from core.queries import count_from_keys
    from core.ui.views import ListView

    settings.LIST_COUNT_CAP = cap_value
    monkeypatch.setattr(ListView, "page_sizes", (3, *ListView.page_sizes))
    query = {"per_page": 3, "registered_from": "2020-01-01", **query}

    def answer():
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(ACHIEVEMENTS, query)
        page = response.context["page_obj"]
        listed = [a.pk for a in page.object_list]
        return (response.context["count_capped"], page.paginator.count, page.number, listed), len(queries)

    answer()  # the first request of a test reads some things once (the session, cached lookups)
    twice, queries_twice = answer()
    original = AchievementFilterSet.filter_queryset

    def hinted(self, queryset):
        return count_from_keys(original(self, queryset))

    monkeypatch.setattr(AchievementFilterSet, "filter_queryset", hinted)
    once, queries_once = answer()
    assert once == twice and twice[3]
    # A page past the cap counts exactly, as before; any other page saves the count's query.
    past_the_cap = (int(query.get("page", 1)) - 1) * int(query["per_page"]) >= cap_value
    assert queries_once == queries_twice if past_the_cap else queries_once < queries_twice
