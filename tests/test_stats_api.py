"""The statistics API (/api/v1/stats/): the shape of docs/metrics.md, validation, exports, caching, throttling."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.services import api_token_create, user_create_unit_user
from dashboards import engine
from dashboards.catalogue import CATALOGUE, CONTRACT_METRICS, METRICS

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory

SUMMARY = "/api/v1/stats/summary/"
BREAKDOWN = "/api/v1/stats/breakdown/"
TIMESERIES = "/api/v1/stats/timeseries/"
SPEC_FIELDS = [
    "year",
    "scope",
    "achievements",
    "convertible",
    "units",
    "convertible_units",
    "transformed",
    "transforming_units",
    "contracts",
    "amount",
    "received",
    "conversion_rate",
    "local_rate_amount",
    "local_rate_count",
    "yoy_transformed",
    "yoy_amount",
    "computed_at",
]
# Added after the reference fields of docs/metrics.md (they may be extended, never changed).
ADDED_FIELDS = [
    "local_contracts",
    "local_amount",
    "received_rate",
    "yoy_transformed_same_units",
    "yoy_amount_same_units",
]
D = datetime.date


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(db, unit, other_unit):
    """Two universities in Shenyang; 2023: 3 contracts (one cancelled, one outside Liaoning)."""
    remote = TransfereeFactory(region="110108")
    a1 = AchievementFactory(unit=unit, registered_on=D(2021, 5, 1))
    a2 = AchievementFactory(unit=unit, registered_on=D(2022, 5, 1), convertible=False)
    a3 = AchievementFactory(unit=other_unit, registered_on=D(2023, 12, 31))
    TransformationFactory(achievement=a1, signed_on=D(2022, 3, 1), amount=Decimal("100.00"))
    TransformationFactory(
        achievement=a1, signed_on=D(2023, 1, 1), amount=Decimal("300.00"), received=Decimal("50")
    )
    TransformationFactory(
        achievement=a2, signed_on=D(2023, 12, 31), amount=Decimal("100.00"), transferee=remote
    )
    TransformationFactory(
        achievement=a3, signed_on=D(2023, 6, 1), amount=Decimal("999.00"), status="cancelled"
    )
    engine.recompute_full()
    return {"unit": unit, "other_unit": other_unit}


def test_anonymous_callers_get_401(client, registry):
    assert client.get(SUMMARY, {"year": 2023}).status_code == 401
    assert client.get(BREAKDOWN, {"year": 2023, "by": "mode"}).status_code == 401
    assert client.get(TIMESERIES, {"from": 2022, "to": 2023}).status_code == 401


def test_summary_answers_exactly_the_data_spec_fields(staff_client, registry):
    body = staff_client.get(SUMMARY, {"year": 2023}).json()
    assert list(body) == SPEC_FIELDS + ADDED_FIELDS
    assert body["scope"] == {"unit": None, "unit_type": None, "region": None, "cluster": None}
    assert body["achievements"] == 3 and body["convertible"] == 2 and body["units"] == 2
    assert body["transformed"] == 2 and body["contracts"] == 2 and body["transforming_units"] == 1
    assert body["amount"] == "400.00" and body["received"] == "50.00"
    assert body["conversion_rate"] == pytest.approx(0.6667)
    assert body["local_rate_amount"] == 0.75 and body["local_rate_count"] == 0.5
    assert body["yoy_transformed"] == 1.0 and body["yoy_amount"] == 3.0
    assert body["local_contracts"] == 1 and body["local_amount"] == "300.00"
    assert body["received_rate"] == 0.125
    assert body["yoy_transformed_same_units"] == 1.0 and body["yoy_amount_same_units"] == 3.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", body["computed_at"])


def test_filters_narrow_the_scope(staff_client, registry):
    unit = registry["unit"]
    body = staff_client.get(SUMMARY, {"year": 2023, "unit": unit.code, "unit_type": "university"}).json()
    assert body["scope"]["unit"] == unit.code
    assert body["achievements"] == 2 and body["amount"] == "400.00"
    assert staff_client.get(SUMMARY, {"year": 2023, "region": "210100"}).json()["achievements"] == 3
    assert staff_client.get(SUMMARY, {"year": 2023, "region": "210200"}).json()["achievements"] == 0
    assert staff_client.get(SUMMARY, {"year": 2023, "cluster": "A01"}).json()["achievements"] == 0


def test_a_city_code_also_matches_units_in_its_districts(staff_client, registry):
    UnitFactory(region="210102")  # no records: the scope stays valid
    district = registry["unit"]
    district.region = "210102"
    district.save()
    engine.recompute_full()
    assert staff_client.get(SUMMARY, {"year": 2023, "region": "210100"}).json()["achievements"] == 3
    assert staff_client.get(SUMMARY, {"year": 2023, "region": "210102"}).json()["achievements"] == 2


def test_a_year_without_records_answers_zeros_and_null_rates(staff_client, registry):
    body = staff_client.get(SUMMARY, {"year": 1990}).json()
    assert body["achievements"] == 0 and body["amount"] == "0.00"
    assert (
        body["conversion_rate"] is None and body["local_rate_amount"] is None and body["yoy_amount"] is None
    )


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "year"),
        ({"year": "abc"}, "year"),
        ({"year": 1984}, "year"),
        ({"year": timezone.localdate().year + 1}, "year"),
        ({"year": 2023, "unit": "91210100MA0000000X"}, "unit"),
        ({"year": 2023, "unit_type": "school"}, "unit_type"),
        ({"year": 2023, "region": "21010"}, "region"),
        ({"year": 2023, "region": "990100"}, "region"),
        ({"year": 2023, "cluster": "Z99"}, "cluster"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(staff_client, registry, params, param):
    response = staff_client.get(SUMMARY, params)
    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_breakdown_by_mode_gives_only_contract_metrics_sorted_by_amount(staff_client, registry):
    AchievementFactory(unit=registry["unit"])
    TransformationFactory(
        achievement=AchievementFactory(unit=registry["unit"]),
        signed_on=D(2023, 2, 1),
        amount=1000,
        mode="license",
    )
    engine.recompute_full()
    body = staff_client.get(BREAKDOWN, {"year": 2023, "by": "mode"}).json()
    rows = body["results"]
    assert [row["key"] for row in rows] == ["license", "transfer"]
    assert rows[0]["label"] == "许可"
    assert set(rows[0]) == {"key", "label", *CONTRACT_METRICS}


def test_breakdown_rejects_an_unknown_dimension(staff_client, registry):
    response = staff_client.get(BREAKDOWN, {"year": 2023, "by": "colour"})
    assert response.status_code == 400 and list(response.json()) == ["by"]


@pytest.mark.parametrize("by", ["unit", "unit_type", "region", "cluster", "trl", "ip_type"])
def test_breakdown_rows_add_up_to_the_summary(staff_client, registry, by):
    rows = staff_client.get(BREAKDOWN, {"year": 2023, "by": by}).json()["results"]
    summary = staff_client.get(SUMMARY, {"year": 2023}).json()
    assert sum(row["contracts"] for row in rows) == summary["contracts"]
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal(summary["amount"])


def test_timeseries_gives_one_point_per_year(staff_client, registry):
    body = staff_client.get(TIMESERIES, {"from": 2021, "to": 2023}).json()
    assert [point["year"] for point in body["results"]] == [2021, 2022, 2023]
    assert body["results"][2]["amount"] == "400.00" and body["results"][2]["yoy_amount"] == 3.0
    response = staff_client.get(TIMESERIES, {"from": 2023, "to": 2021})
    assert response.status_code == 400 and list(response.json()) == ["from"]


@pytest.fixture
def three_units(db, unit, other_unit):
    """A: contracts in 2022 and 2023; B: only in 2023; C: only in 2022 (all in Shenyang)."""
    third = UnitFactory(type="institute")
    a1, a2, a3 = (AchievementFactory(unit=unit, registered_on=D(2021, 1, 1)) for _ in range(3))
    TransformationFactory(achievement=a1, signed_on=D(2022, 5, 1), amount=Decimal("100.00"))
    TransformationFactory(achievement=a1, signed_on=D(2023, 5, 1), amount=Decimal("200.00"))
    TransformationFactory(achievement=a2, signed_on=D(2023, 6, 1), amount=Decimal("100.00"))
    TransformationFactory(achievement=a3, signed_on=D(2023, 6, 1), amount=Decimal("1.00"), status="cancelled")
    b = AchievementFactory(unit=other_unit, registered_on=D(2021, 1, 1))
    TransformationFactory(achievement=b, signed_on=D(2023, 7, 1), amount=Decimal("1000.00"))
    c = AchievementFactory(unit=third, registered_on=D(2021, 1, 1))
    TransformationFactory(achievement=c, signed_on=D(2022, 7, 1), amount=Decimal("500.00"))
    # A cancelled contract of C in 2023 does not make C a unit with contracts in both years.
    TransformationFactory(achievement=c, signed_on=D(2023, 7, 1), amount=Decimal("9.00"), status="cancelled")
    engine.recompute_full()
    return {"A": unit, "B": other_unit, "C": third}


def test_same_unit_growth_counts_only_units_with_contracts_in_both_years(staff_client, three_units):
    body = staff_client.get(SUMMARY, {"year": 2023}).json()
    # Every unit: transformed 3 vs 2, amount 1300 vs 600.
    assert body["yoy_transformed"] == 0.5 and body["yoy_amount"] == pytest.approx(1.1667)
    # Unit A alone: transformed 2 vs 1, amount 300 vs 100.
    assert body["yoy_transformed_same_units"] == 1.0 and body["yoy_amount_same_units"] == 2.0
    assert body["received_rate"] == 0.0  # nothing received
    rows = {
        row["key"]: row for row in staff_client.get(BREAKDOWN, {"year": 2023, "by": "unit"}).json()["results"]
    }
    assert rows[three_units["A"].code]["yoy_amount_same_units"] == 2.0
    assert rows[three_units["B"].code]["yoy_amount_same_units"] is None  # no contract in 2022
    assert rows[three_units["C"].code]["yoy_transformed_same_units"] is None  # none in 2023
    types = {
        row["key"]: row
        for row in staff_client.get(BREAKDOWN, {"year": 2023, "by": "unit_type"}).json()["results"]
    }
    assert (
        types["university"]["yoy_amount_same_units"] == 2.0
        and types["institute"]["yoy_amount_same_units"] is None
    )
    series = staff_client.get(TIMESERIES, {"from": 2022, "to": 2023}).json()["results"]
    assert series[1]["yoy_transformed_same_units"] == 1.0 and series[1]["yoy_amount_same_units"] == 2.0
    assert series[0]["yoy_amount_same_units"] is None  # nothing in 2021
    mode_rows = staff_client.get(BREAKDOWN, {"year": 2023, "by": "mode"}).json()["results"]
    assert all("received_rate" in row and "yoy_amount_same_units" not in row for row in mode_rows)


def test_the_new_metrics_are_in_the_exports_with_their_labels(staff_client, three_units):
    text = staff_client.get(SUMMARY, {"year": 2023, "format": "csv"}).content.decode("utf-8-sig").splitlines()
    header = text[0].split(",")
    assert header[-3:] == ["到账率", "转化成果数同比（同口径单位）", "合同金额同比（同口径单位）"]
    assert text[1].split(",")[-3:] == ["0.0", "1.0", "2.0"]
    sheet = load_workbook(
        io.BytesIO(staff_client.get(TIMESERIES, {"from": 2022, "to": 2023, "format": "xlsx"}).content)
    ).active
    headers = [cell.value for cell in sheet[1]]
    assert sheet.cell(3, headers.index("合同金额同比（同口径单位）") + 1).value == 2.0


def test_csv_and_xlsx_variants(staff_client, registry):
    csv_response = staff_client.get("/api/v1/stats/summary.csv", {"year": 2023})
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig").splitlines()
    assert text[0].startswith("年份,") and "合同金额（元）" in text[0]
    assert "400.00" in text[1]
    xlsx = staff_client.get(BREAKDOWN, {"year": 2023, "by": "unit", "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "代码" and sheet.cell(2, 1).value == registry["unit"].code
    series = staff_client.get(TIMESERIES, {"from": 2022, "to": 2023, "format": "csv"})
    assert len(series.content.decode("utf-8-sig").splitlines()) == 3
    error = staff_client.get(SUMMARY, {"year": 1900, "format": "csv"})
    assert error.status_code == 400 and error.json() == {"year": [error.json()["year"][0]]}


def test_etag_and_last_modified_answer_304_until_the_snapshot_changes(staff_client, registry):
    first = staff_client.get(SUMMARY, {"year": 2023})
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert staff_client.get(SUMMARY, {"year": 2023}, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert staff_client.get(SUMMARY, {"year": 2023}, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert staff_client.get(SUMMARY, {"year": 2022}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    engine.recompute_full()
    again = staff_client.get(SUMMARY, {"year": 2023}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag


def test_past_the_rate_limit_the_api_answers_429_with_retry_after(staff_client, registry, settings):
    settings.STATS_API_THROTTLE_RATE = "3/min"
    codes = [staff_client.get(SUMMARY, {"year": 2023}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert int(staff_client.get(SUMMARY, {"year": 2023})["Retry-After"]) > 0


def test_a_token_reads_the_statistics(client, staff_user, registry):
    _, key = api_token_create(user=staff_user, name="数据平台", read_only=True)
    response = client.get(SUMMARY, {"year": 2023}, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response.json()["contracts"] == 2
    assert client.get(SUMMARY, {"year": 2023}, HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_a_unit_user_sees_only_their_own_unit(client, registry):
    user = user_create_unit_user(username="u1", password="pass-for-tests-1", unit=registry["unit"])
    client.force_login(user)
    body = client.get(SUMMARY, {"year": 2023}).json()
    assert body["scope"]["unit"] == registry["unit"].code and body["achievements"] == 2
    assert client.get(SUMMARY, {"year": 2023, "unit": registry["other_unit"].code}).status_code == 403


def test_summary_runs_a_bounded_number_of_queries(staff_client, registry):
    staff_client.get(SUMMARY, {"year": 2023})
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(SUMMARY, {"year": 2023, "unit": registry["unit"].code, "cluster": "A01"})
    assert len(queries) <= 10


def test_the_openapi_schema_documents_the_statistics_endpoints(staff_client):
    schema = staff_client.get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/stats/summary/", "/api/v1/stats/breakdown/", "/api/v1/stats/timeseries/"):
        assert path in schema["paths"]
    summary = schema["paths"]["/api/v1/stats/summary/"]["get"]
    assert {p["name"] for p in summary["parameters"]} >= {"year", "unit", "unit_type", "region", "cluster"}
    assert "StatsSummary" in schema["components"]["schemas"]


def test_the_stats_root_lists_the_metric_definitions(staff_client, registry):
    body = staff_client.get("/api/v1/stats/").json()
    assert "conversion_rate" in body["definitions"] and body["status"]["stale"] is False
    assert set(body["definitions"]) == {"stock", *METRICS}


def test_the_schema_types_every_metric_by_its_kind(staff_client):
    schemas = staff_client.get("/api/v1/schema/", {"format": "json"}).json()["components"]["schemas"]
    expected = {"count": "integer", "amount": "string", "rate": "number", "growth": "number"}
    for name in ("StatsSummary", "StatsTimeseriesPoint", "StatsBreakdownRow"):
        properties = schemas[name]["properties"]
        for entry in CATALOGUE:
            assert properties[entry.name]["type"] == expected[entry.kind], (name, entry.name)
            assert bool(properties[entry.name].get("nullable")) == entry.nullable, (name, entry.name)
    # and the echo of a year-to-date answer (period=ytd; tests/test_stats_to_date.py)
    assert set(schemas["StatsSummary"]["properties"]) == set(
        SPEC_FIELDS + ADDED_FIELDS + ["period", "as_of", "through"]
    )


def test_export_headers_follow_the_language_of_the_request(staff_client, registry):
    """Labels are translated when a file is written, not when the module is imported."""
    from django.utils import translation

    from dashboards.api.renderers import table

    with translation.override("en"):
        english = table({"year": 2023, "scope": {}, "amount": "1.00"})[0]
    chinese = table({"year": 2023, "scope": {}, "amount": "1.00"})[0]
    assert chinese == ["年份", "合同金额（元）"]
    assert english != chinese
