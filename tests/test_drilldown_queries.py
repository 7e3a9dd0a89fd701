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


def test_whole_list_sort_sorts_the_keys_of_the_records_only(staff_client, unit, other_unit):
    """A list page is fetched in two steps: the sorted keys of the page (no join for the related
    rows shown), then those rows by key. Joining every related table before sorting a whole list
    took 1.1 s for the demo data's contracts sorted by mode on SQLite."""
    from django.test.utils import CaptureQueriesContext

    from achievements.choices import TransformationMode

    from .factories import TransformationFactory

    modes = [TransformationMode.TRANSFER, TransformationMode.LICENSE, TransformationMode.EQUITY] * 3
    for i, mode in enumerate(modes):
        TransformationFactory(mode=mode, achievement__unit=unit if i % 2 else other_unit)
    url = reverse("achievements:transformation_list")
    with CaptureQueriesContext(connection) as ctx:
        response = staff_client.get(url, {"sort": "-mode", "per_page": 10})
    shown = [record.mode for record in response.context["page_obj"].object_list]
    assert shown == sorted(modes, reverse=True)
    sorted_queries = [
        q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"] and '"mode" DESC' in q["sql"]
    ]
    assert len(sorted_queries) == 1, sorted_queries
    select = sorted_queries[0].split(" FROM ")[0]
    assert "JOIN" not in sorted_queries[0] and select.count('"."') == 1, sorted_queries[0]


@pytest.mark.parametrize(
    "model, params, column",
    [
        ("achievement", {"region": "210200"}, "unit_id"),
        ("achievement", {"unit_type": "university"}, "unit_id"),
        ("transformation", {"region": "210200"}, "unit_id"),
        ("transformation", {"unit_type": "university"}, "unit_id"),
        ("transformation", {"local": "true"}, "transferee_id"),
        ("transformation", {"transferee_region": "210200"}, "transferee_id"),
    ],
)
def test_unit_and_transferee_filters_read_the_records_by_key(db, model, params, column):
    """``unit_type``, ``region``, ``local`` and ``transferee_region`` select the units (transferees)
    first and read the records by ``unit_id`` (``transferee_id``), instead of looking up the unit
    (transferee) of every record of a province-wide list."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner is checked here; PostgreSQL plans from statistics (see the benchmark)")
    from achievements.filtersets import AchievementFilterSet, TransformationFilterSet
    from achievements.models import Transformation

    filterset_class, model_class = {
        "achievement": (AchievementFilterSet, Achievement),
        "transformation": (TransformationFilterSet, Transformation),
    }[model]
    filterset = filterset_class(params, queryset=model_class.objects.all())
    assert filterset.is_valid(), filterset.errors
    plan = sqlite_plan(filterset.qs.order_by().values("pk"))
    assert f"({column}=?)" in plan and "LIST SUBQUERY" in plan, plan


# --- transformed_in: the same achievements whichever way the database runs it (f6) -------------


@pytest.mark.parametrize("dense", [0, 10**9], ids=["probe_per_achievement", "from_the_contracts"])
def test_transformed_in_answers_the_definition_either_way(db, unit, other_unit, monkeypatch, dense):
    """On PostgreSQL a list whose newest achievements rarely match takes its achievements from the
    contracts of Y (``id = ANY(ARRAY(…))``), else probes each achievement; both must give exactly
    the achievements with an effective contract signed in Y (a cancelled one, one signed on 31 Dec
    of Y - 1 and one on 1 Jan of Y + 1 do not count), in the list's order and scope."""
    import datetime

    from achievements.choices import TransformationStatus

    from .factories import AchievementFactory, TransformationFactory

    monkeypatch.setattr(selectors, "TRANSFORMED_IN_DENSE", dense)
    signed = [
        (datetime.date(2023, 1, 1), TransformationStatus.EFFECTIVE),
        (datetime.date(2023, 12, 31), TransformationStatus.EFFECTIVE),
        (datetime.date(2022, 12, 31), TransformationStatus.EFFECTIVE),
        (datetime.date(2024, 1, 1), TransformationStatus.EFFECTIVE),
        (datetime.date(2023, 6, 1), TransformationStatus.CANCELLED),
    ]
    for i, (on, status) in enumerate(signed * 2):
        owner = unit if i % 2 else other_unit
        achievement = AchievementFactory(unit=owner, registered_on=datetime.date(2020, 1, 1 + i))
        TransformationFactory(achievement=achievement, signed_on=on, status=status)
        if i == 0:  # two contracts in Y: listed once
            TransformationFactory(achievement=achievement, signed_on=datetime.date(2023, 3, 3))
    AchievementFactory(unit=unit)  # no contract at all
    in_y = {
        t.achievement_id
        for t in selectors.Transformation.objects.all()
        if t.status == TransformationStatus.EFFECTIVE and t.signed_on.year == 2023
    }
    assert len(in_y) == 4
    for base in (Achievement.objects.all(), Achievement.objects.filter(unit=unit)):
        ordered = base.order_by("-registered_on", "-id")
        got = list(selectors.achievements_transformed_in(ordered, 2023).values_list("pk", flat=True))
        expected = [pk for pk in ordered.values_list("pk", flat=True) if pk in in_y]
        assert got == expected and expected


@pytest.mark.parametrize("dense", [0, 10**9], ids=["probe_per_achievement", "from_the_contracts"])
@pytest.mark.parametrize(
    "scope", ["region", "unit", "unit_type", "unit_user", "none", "trl", "region_trl_registered"]
)
def test_transformed_in_of_some_units_answers_the_definition(db, unit, other_unit, monkeypatch, dense, scope):
    """A list limited to some units (a city, a unit, a unit type, a unit user's own records) reads
    only those units' contracts of Y on PostgreSQL (a contract's unit is its achievement's); the
    answer is the definition's all the same."""
    import datetime
    from types import SimpleNamespace

    from achievements.filtersets import AchievementFilterSet

    from .factories import AchievementFactory, TransformationFactory, UnitFactory

    monkeypatch.setattr(selectors, "TRANSFORMED_IN_DENSE", dense)
    third = UnitFactory(region="210300", type="institute")
    units = [unit, other_unit, third]
    for i in range(9):
        achievement = AchievementFactory(
            unit=units[i % 3], registered_on=datetime.date(2020, 1, 1 + i), trl=3 + i % 2
        )
        TransformationFactory(achievement=achievement, signed_on=datetime.date(2022 + i % 2, 5, 1 + i))

    data, user = {"transformed_in": "2023"}, None
    if scope == "region":
        data["region"] = unit.region[:4] + "00"
    elif scope == "unit":
        data["unit"] = unit.code
    elif scope == "unit_type":
        data["unit_type"] = unit.type
    elif scope == "trl":  # another filter: the list's rows with a contract in Y are found first
        data["trl"] = "4"
    elif scope == "region_trl_registered":
        data.update(region=unit.region[:4] + "00", trl="4", registered_from="2020-01-03")
    elif scope == "unit_user":
        user = SimpleNamespace(is_staff=False, unit_id=unit.pk, is_authenticated=True)
    base = Achievement.objects.filter(unit=unit) if user else Achievement.objects.all()
    filterset = AchievementFilterSet(data, queryset=base, request=SimpleNamespace(user=user))
    got = list(filterset.qs.order_by("-registered_on", "-id").values_list("pk", flat=True))
    plain = AchievementFilterSet({k: v for k, v in data.items() if k != "transformed_in"}, queryset=base)
    expected = [
        a.pk
        for a in plain.qs.order_by("-registered_on", "-id")
        if a.transformations.filter(status="effective", signed_on__year=2023).exists()
    ]
    assert got == expected and expected


@pytest.mark.parametrize(
    "name, columns",
    [
        ("transformation_ach_amounts_idx", "(achievement_id) INCLUDE (id, amount, received)"),
        (
            "transformation_status_sign_ach_idx",
            "(status, signed_on, achievement_id) INCLUDE (id, unit_id, transferee_id, amount, received)",
        ),
    ],
)
def test_contracts_indexes_carry_the_key_and_amounts_on_postgresql(db, name, columns):
    """The contract list filtered by its achievements' attributes (an IP type) or its transferees'
    (local or not), over all years or one year (the dashboard's links), is counted and summed from
    an index alone on PostgreSQL
    (docs/dashboards.md, "Targets"); SQLite has no covering indexes and gets none."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite ignores an index's INCLUDE columns")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        (definition,) = cursor.fetchone()
    assert columns in definition


def _sort_plan(queryset) -> str:
    """The plan of ``queryset`` as each database prints it; on PostgreSQL with sorting discouraged
    (``enable_sort = off`` makes any plan that sorts the whole table cost more than one that reads
    an index in order, when such a plan exists, whatever the table's size)."""
    if connection.vendor == "sqlite":
        return sqlite_plan(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "key",
    [
        *("unit", "-unit", "transferee", "-transferee", "achievement", "-achievement"),
        *("amount", "-amount", "status", "-status", "-signed_on"),
    ],
)
def test_contract_list_sorts_read_an_index_in_order(db, unit, key):
    """The contract list's sorts that have an index (achievements/0012, 0015), as the list asks for its
    page of keys: the database reads an index in order (for a column of a related record: that
    record's index, then one group of contracts at a time), never sorting the whole list (1M/3M:
    0.55-1.06 s a page before)."""
    from achievements.models import Transformation
    from achievements.tables import TransformationTable

    ordered, sort = TransformationTable.order(Transformation.objects.all(), key)
    assert sort == key
    plan = _sort_plan(ordered.values_list("pk", flat=True)[:25])
    if connection.vendor == "sqlite":
        # SQLite has no incremental sort: a related record's column sorts the keys in a temporary
        # tree (the demo data's 54,302 contracts: well within the page target).
        if key.lstrip("-") not in ("unit", "transferee", "achievement"):
            assert "USE TEMP B-TREE" not in plan, plan
    else:
        nodes = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
        assert not [node for node in nodes if node.startswith("Sort  (")], plan
        # ... and the index made for that sort (not another that starts with the column, followed
        # by an incremental sort of each of its groups).
        assert SORT_INDEXES[key.lstrip("-")] in plan, plan


SORT_INDEXES = {
    "unit": "unit_name_idx",
    "transferee": "transferee_name_idx",
    "achievement": "achievement_title_idx",
    "amount": "transformation_amount_idx",
    "status": "transformation_status_idx",
    "signed_on": "achievements_transformation_signed_on",
}


def test_the_units_foreign_keys_keep_their_constraint_without_an_index_of_their_own(db):
    """Achievements and contracts are looked up by unit through the unique (unit_id, ref) that
    starts with it (achievements/0015 dropped the key's own index, not its constraint)."""
    with connection.cursor() as cursor:
        for table in ("achievements_achievement", "achievements_transformation"):
            constraints = connection.introspection.get_constraints(cursor, table).values()
            on_unit = [c for c in constraints if c["columns"] == ["unit_id"]]
            assert [c["foreign_key"] for c in on_unit] == [("achievements_unit", "id")], table
            assert any(c["unique"] and c["columns"] == ["unit_id", "ref"] for c in constraints), table
