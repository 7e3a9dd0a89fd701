"""Chinese (and Latin, and patent-number) search gives the same answers on SQLite and PostgreSQL.

Every query is checked against a plain-Python reference (case-insensitive substring match), so a
run on SQLite and a run on PostgreSQL (DATABASE_URL=postgres://...) both prove "database result ==
reference" and hence the same results on the two databases. The PostgreSQL-only tests check that
the trigram index exists, sees Chinese (UTF-8 LC_CTYPE) and is used by the search query.
"""

import re

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from achievements import selectors
from achievements.choices import IPType
from achievements.filtersets import AchievementFilterSet
from achievements.models import Achievement

from .factories import AchievementFactory, UnitFactory, make_patent_no

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

RECORDS = [
    # (unit name, title, keywords, ip_type, patent serial or None)
    ("东北大学", "一种高强度铝合金的制备方法", "铝合金,热处理", IPType.INVENTION_PATENT, 699744),
    ("东北大学", "镁合金板材轧制工艺", "镁合金", IPType.INVENTION_PATENT, 123456),
    ("大连理工大学", "基于MEMS的微型压力传感器", "MEMS, 传感器", IPType.UTILITY_MODEL, 200001),
    ("大连理工大学", "LED路灯智能控制系统", "led,照明", IPType.SOFTWARE, None),
    ("中国科学院金属研究所", "高温合金单晶叶片铸造技术", "高温合金", IPType.KNOW_HOW, None),
    ("中国科学院金属研究所", "5G基站散热材料", "5G；散热", IPType.INVENTION_PATENT, 310001),
    ("沈阳农业大学", "水稻抗病新品种选育", "水稻", IPType.PLANT_VARIETY, None),
    ("沈阳农业大学", "玉米秸秆综合利用技术", "秸秆、饲料", IPType.OTHER, None),
]

QUERIES = [
    "合",  # one character
    "金",
    "合金",  # two characters: the usual Chinese word
    "铝合金",  # three or more: trigram-indexable on PostgreSQL
    "制备方法",
    "一种高强度铝合金的制备方法",
    "大学",  # unit names
    "金属研究所",
    "MEMS",  # Latin, either case
    "mems",
    "led",
    "5G",
    "秸秆",  # keyword only
    "201310699744.2",  # patent numbers with and without dots, prefixes and spaces
    "ZL201310699744.2",
    "2013106997442",
    "zl 2013 1069 9744.2",
    "CN201310699744",
    "20131",
    "不存在的词",
    "%",  # LIKE wildcards are literal characters
    "_",
]


@pytest.fixture
def registry(db):
    units = {}
    for i, (unit_name, title, keywords, ip_type, serial) in enumerate(RECORDS):
        unit = units.get(unit_name) or units.setdefault(unit_name, UnitFactory(name=unit_name))
        type_digit = "2" if ip_type == IPType.UTILITY_MODEL else "1"
        patent_no = make_patent_no(serial, year=2013, type_digit=type_digit) if serial else ""
        AchievementFactory(
            unit=unit, ref=f"R{i:03d}", title=title, keywords=keywords, ip_type=ip_type, patent_no=patent_no
        )
    return Achievement.objects.select_related("unit")


def reference(records, query: str) -> set[str]:
    """What the search must find, computed in Python."""
    value = query.strip()
    if not value:
        return {a.ref for a in records}
    needle = value.upper()
    compact = selectors.patent_query(value)
    found = set()
    for a in records:
        texts = (a.title, a.keywords, a.ref, a.unit.name)
        if any(needle in t.upper() for t in texts):
            found.add(a.ref)
        elif compact and compact in a.patent_no.replace(".", ""):
            found.add(a.ref)
    return found


def search(query: str) -> set[str]:
    filterset = AchievementFilterSet({"q": query}, queryset=Achievement.objects.all())
    return set(filterset.qs.values_list("ref", flat=True))


@pytest.mark.parametrize("query", QUERIES)
def test_search_equals_reference(registry, query):
    assert search(query) == reference(list(registry), query)


def test_headline_answers(registry):
    # A two-character word finds the longer title on every database.
    assert "R000" in search("合金")
    assert search("合金") == {"R000", "R001", "R004"}
    assert search("铝合金") == {"R000"}
    assert search("ZL201310699744.2") == search("2013106997442") == {"R000"}
    assert search("mems") == search("MEMS") == {"R002"}
    assert search("大连理工") == {"R002", "R003"}
    assert search("%") == set() and search("_") == set()


def test_values_without_letter_case_use_plain_like():
    assert "contains" in str(selectors.contains_q("title", "合金"))
    assert "trgm_icontains" not in str(selectors.contains_q("title", "2013"))
    assert "trgm_icontains" in str(selectors.contains_q("title", "mems"))


def test_latin_search_ignores_case_on_every_database(registry):
    assert search("Led") == search("LED") == search("led") == {"R003"}


@pytest.mark.postgres
@postgres_only
def test_latin_search_is_ilike_on_the_column_and_chinese_plain_like():
    latin = str(Achievement.objects.filter(selectors.contains_q("title", "mems")).query)
    chinese = str(Achievement.objects.filter(selectors.contains_q("title", "合金")).query)
    assert '"title" ILIKE' in latin and "UPPER(" not in latin
    assert '"title"::text LIKE' in chinese and "UPPER(" not in chinese


def test_patent_query_normalisation():
    assert selectors.patent_query("ZL201310699744.2") == "2013106997442"
    assert selectors.patent_query(" cn 2013 1069 9744.2 ") == "2013106997442"
    assert selectors.patent_query("97101765.4") == "971017654"
    assert selectors.patent_query("合金") is None
    assert selectors.patent_query("12") is None  # too short to be read as a patent number


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_substring_of_a_title_is_found_like_the_reference(registry, data):
    records = list(registry)
    title = data.draw(st.sampled_from([a.title for a in records]))
    start = data.draw(st.integers(0, len(title) - 1))
    length = data.draw(st.integers(1, 5))
    query = title[start : start + length]
    result = search(query)
    assert result == reference(records, query)
    assert any(a.title == title and a.ref in result for a in records)


# --- PostgreSQL: pg_trgm sees Chinese and the index is used -----------------------------------


@pytest.mark.postgres
@postgres_only
def test_database_character_type_is_utf8():
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        (ctype,) = cursor.fetchone()
    assert re.search(r"utf-?8", ctype, re.IGNORECASE), ctype


@pytest.mark.postgres
@postgres_only
def test_pg_trgm_sees_chinese():
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm(%s)", ["铝合金"])
        (trigrams,) = cursor.fetchone()
        cursor.execute(
            "SELECT similarity(%s, %s), %s %% %s, %s ILIKE %s",
            ["一种高强度铝合金的制备方法", "铝合金", "铝合金的制备", "铝合金的制备方法", "铝合金", "%合金%"],
        )
        similarity, similar, ilike = cursor.fetchone()
    # Without a UTF-8 LC_CTYPE pg_trgm drops every Chinese character and finds no trigram at all.
    assert len(trigrams) >= 3
    assert similarity > 0 and similar is True and ilike is True


@pytest.mark.postgres
@postgres_only
def test_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'achievements_achievement'"
            " AND indexdef LIKE '%%gin_trgm_ops%%'"
        )
        indexes = dict(cursor.fetchall())
    assert {
        "achievement_title_trgm",
        "achievement_keywords_trgm",
        "achievement_ref_trgm",
        "achievement_patent_trgm",
    } <= set(indexes)
    # On the column itself: it serves LIKE (Chinese, digits) and ILIKE (Latin) alike.
    assert "USING gin (title gin_trgm_ops)" in indexes["achievement_title_trgm"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%%gin_trgm_ops%%'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"transformation_ref_trgm", "transferee_name_trgm"} <= names


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize(
    "query, index",
    [
        ("铝合金", "achievement_title_trgm"),
        ("制备方法", "achievement_title_trgm"),
        ("Mems", "achievement_title_trgm"),
        ("2013106997442", "achievement_patent_trgm"),
    ],
)
def test_search_query_can_use_the_trigram_indexes(registry, query, index):
    """Every branch of the search condition is indexable, so PostgreSQL can answer it with a
    BitmapOr of trigram index scans (it does so by itself on large tables: about 200,000 rows in
    docs/registry-pages.md; on a test table this small it rightly prefers a scan, so scans are
    switched off here to see whether the index can serve the query)."""
    qs = selectors.achievement_search(Achievement.objects.order_by(), query)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = qs.explain()
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert search(query) == reference(list(registry), query)


# --- the contract search: the same contracts whichever form the database runs (docs/dashboards.md) ---


@pytest.mark.parametrize(
    "keys_max, large_table",
    [(0, 10**9), (0, -2), (10**6, 10**9), (10**6, -2)],
    ids=["probe_per_contract", "probe_per_contract_large_table", "keys_as_constants", "keys_read_in_the_query"],
)
@pytest.mark.parametrize("query", ["合金", "铝合金", "大学", "企业", "HT-0", "mems", "不存在的词"])
def test_contract_search_answers_the_definition_either_way(registry, monkeypatch, keys_max, large_table, query):
    """On PostgreSQL the title and transferee-name branches of a contract search either put the
    matching keys into the query (as constants, or read in the query for a table of millions) or,
    when more than ``SEARCH_KEYS_MAX`` rows match (a common word), probe the related row per
    contract; each gives exactly the contracts whose number, achievement title, transferee name or
    unit name contain the query (SQLite has one form, checked too)."""
    from achievements.filtersets import TransformationFilterSet
    from achievements.models import Transformation

    from .factories import TransfereeFactory, TransformationFactory

    monkeypatch.setattr(selectors, "SEARCH_KEYS_MAX", keys_max)
    monkeypatch.setattr(selectors, "SEARCH_LARGE_TABLE", large_table)
    names = ["沈阳某某企业有限公司", "大连合金科技公司", "MEMS Devices Ltd"]
    transferees = [TransfereeFactory(name=name) for name in names]
    for i, achievement in enumerate(registry):
        for j in range(2):
            TransformationFactory(
                achievement=achievement, unit=achievement.unit, ref=f"HT-{i}{j}", transferee=transferees[(i + j) % 3]
            )
    contracts = Transformation.objects.select_related("achievement", "transferee", "unit")
    needle = query.upper()
    expected = {
        c.ref
        for c in contracts
        if any(needle in text.upper() for text in (c.ref, c.achievement.title, c.transferee.name, c.unit.name))
    }
    filterset = TransformationFilterSet({"q": query}, queryset=Transformation.objects.all())
    assert set(filterset.qs.values_list("ref", flat=True)) == expected
    if query != "不存在的词":
        assert expected
