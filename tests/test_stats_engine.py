"""The statistics engine against an independent, plain-Python reading of docs/metrics.md.

Random small registries (withdrawn records, cancelled contracts, several contracts per achievement,
contracts on 31 Dec and 1 Jan, zero amounts, non-local transferees, several units, types, regions
and clusters) are recomputed, and every metric of every scope and year is compared with the
reference below, which reads the records one by one and shares no code with the engine.
"""

import calendar
import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from achievements.models import Achievement, Cluster, Transferee, Transformation, Unit
from dashboards import engine
from dashboards.selectors import Scope, ScopeError, stats_breakdown, stats_summary, stats_timeseries

from .factories import make_credit_code

D = datetime.date
UNIT_REGIONS = ["210100", "210102", "210200", "110000"]  # Shenyang, a Shenyang district, Dalian, Beijing
CLUSTERS = [None, "A01", "B02"]
MODES = ["self", "transfer", "license", "cooperation", "equity", "other"]
IP_TYPES = ["software", "know_how", "other"]
EDGE_DATES = [D(2020, 12, 31), D(2021, 1, 1), D(2022, 12, 31), D(2023, 1, 1), D(2023, 12, 31)]
YEARS = range(2018, engine.current_year() + 1)


# --- the reference: docs/metrics.md read literally -----------------------------------------------


def q4(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def ref_rate(num, den):
    return None if den == 0 else q4(Decimal(num) / Decimal(den))


def ref_growth(cur, prev):
    return None if prev == 0 else q4(Decimal(cur) / Decimal(prev) - 1)


def ref_day(year, until):
    """31 Dec of ``year``, or ``until``'s month and day in it (29 Feb in a common year: 28 Feb)."""
    if until is None:
        return D(year, 12, 31)
    if (until.month, until.day) == (2, 29) and not calendar.isleap(year):
        return D(year, 2, 28)
    return D(year, until.month, until.day)


def reference(year, achievements, contracts, in_scope, contract_filter=lambda c: True, until=None):
    """Every metric of ``year``; ``until``: year to date, every figure up to ``until``'s month and day
    in the year and growth against 1 Jan … the same month and day of the year before."""
    end = ref_day(year, until)
    scoped = [a for a in achievements if in_scope(a)]
    stock = [
        a
        for a in scoped
        if a["registered_on"] <= end and (a["withdrawn_on"] is None or a["withdrawn_on"] > end)
    ]
    effective = [
        c
        for c in contracts
        if c["status"] == "effective" and in_scope(c["achievement"]) and contract_filter(c)
    ]

    def signed_in(y):
        return [c for c in effective if D(y, 1, 1) <= c["signed_on"] <= ref_day(y, until)]

    this_year, last_year = signed_in(year), signed_in(year - 1)
    amount = sum((c["amount"] for c in this_year), Decimal(0))
    last_amount = sum((c["amount"] for c in last_year), Decimal(0))
    local_amount = sum((c["amount"] for c in this_year if c["local"]), Decimal(0))
    transformed = len({id(c["achievement"]) for c in this_year})
    transformed_before = {id(c["achievement"]) for c in effective if c["signed_on"] <= end}
    received = sum((c["received"] or Decimal(0) for c in this_year), Decimal(0))
    # Same-unit growth: only the units of S with a contract signed in Y and one signed in Y−1.
    both = {c["achievement"]["unit"] for c in this_year} & {c["achievement"]["unit"] for c in last_year}
    same_now = [c for c in this_year if c["achievement"]["unit"] in both]
    same_before = [c for c in last_year if c["achievement"]["unit"] in both]
    return {
        "achievements": len(stock),
        "convertible": sum(1 for a in stock if a["convertible"]),
        "units": len({a["unit"] for a in stock}),
        "convertible_units": len({a["unit"] for a in stock if a["convertible"]}),
        "transformed": transformed,
        "transforming_units": len({c["achievement"]["unit"] for c in this_year}),
        "contracts": len(this_year),
        "amount": f"{amount:.2f}",
        "received": f"{received:.2f}",
        "conversion_rate": ref_rate(sum(1 for a in stock if id(a) in transformed_before), len(stock)),
        "local_rate_amount": ref_rate(local_amount, amount),
        "local_rate_count": ref_rate(sum(1 for c in this_year if c["local"]), len(this_year)),
        "yoy_transformed": ref_growth(transformed, len({id(c["achievement"]) for c in last_year})),
        "yoy_amount": ref_growth(amount, last_amount),
        "local_contracts": sum(1 for c in this_year if c["local"]),
        "local_amount": f"{local_amount:.2f}",
        "received_rate": ref_rate(received, amount),
        "yoy_transformed_same_units": ref_growth(
            len({id(c["achievement"]) for c in same_now}), len({id(c["achievement"]) for c in same_before})
        ),
        "yoy_amount_same_units": ref_growth(
            sum((c["amount"] for c in same_now), Decimal(0)),
            sum((c["amount"] for c in same_before), Decimal(0)),
        ),
    }


# --- random registries ------------------------------------------------------------------------

dates = st.one_of(st.sampled_from(EDGE_DATES), st.dates(D(2019, 1, 1), D(2024, 12, 31)))
amounts = st.one_of(st.just(Decimal("0.00")), st.decimals(min_value=0, max_value=10**7, places=2))
contract_st = st.fixed_dictionaries(
    {
        "signed_on": dates,
        "amount": amounts,
        "received_share": st.sampled_from([None, Decimal(0), Decimal("0.5"), Decimal(1)]),
        "status": st.sampled_from(["effective", "effective", "cancelled"]),
        "local": st.booleans(),
        "mode": st.sampled_from(MODES),
    }
)
achievement_st = st.fixed_dictionaries(
    {
        "unit": st.integers(0, len(UNIT_REGIONS) - 1),
        "cluster": st.sampled_from(CLUSTERS),
        "registered_on": dates,
        "withdrawn_after": st.one_of(st.none(), st.none(), st.sampled_from([0, 1, 200, 365, 900])),
        "convertible": st.booleans(),
        "trl": st.integers(1, 9),
        "ip_type": st.sampled_from(IP_TYPES),
        "contracts": st.lists(contract_st, max_size=3),
    }
)
registry_st = st.fixed_dictionaries(
    {
        "unit_types": st.lists(st.sampled_from(["university", "institute"]), min_size=4, max_size=4),
        "achievements": st.lists(achievement_st, max_size=14),
    }
)


def materialise(registry):
    """Write a generated registry to the database; return plain records for the reference."""
    units = [
        Unit.objects.create(code=make_credit_code(900 + i, region), name=f"单位{i}", type=t, region=region)
        for i, (t, region) in enumerate(zip(registry["unit_types"], UNIT_REGIONS, strict=True))
    ]
    local = Transferee.objects.create(
        code=make_credit_code(800_001, "210200", "91"), name="本地企业", region="210200"
    )
    remote = Transferee.objects.create(
        code=make_credit_code(800_002, "110000", "91"), name="外省企业", region="110108"
    )
    clusters = {c.code: c for c in Cluster.objects.filter(code__in=[c for c in CLUSTERS if c])}
    achievements, contracts = [], []
    for n, spec in enumerate(registry["achievements"]):
        withdrawn_on = None
        if spec["withdrawn_after"] is not None:
            withdrawn_on = spec["registered_on"] + datetime.timedelta(days=spec["withdrawn_after"])
            withdrawn_on = min(withdrawn_on, datetime.date.today())  # no record date after today
        unit = units[spec["unit"]]
        row = Achievement.objects.create(
            unit=unit,
            ref=f"R{n}",
            title=f"成果{n}",
            ip_type=spec["ip_type"],
            trl=spec["trl"],
            cluster=clusters.get(spec["cluster"]),
            convertible=spec["convertible"],
            registered_on=spec["registered_on"],
            status="withdrawn" if withdrawn_on else "active",
            withdrawn_on=withdrawn_on,
        )
        record = {
            "unit": unit.code,
            "unit_type": unit.type,
            "region": unit.region,
            "cluster": spec["cluster"],
            "trl": spec["trl"],
            "ip_type": spec["ip_type"],
            "registered_on": spec["registered_on"],
            "withdrawn_on": withdrawn_on,
            "convertible": spec["convertible"],
        }
        achievements.append(record)
        for m, c in enumerate(spec["contracts"]):
            received = None
            if c["received_share"] is not None:
                received = (c["amount"] * c["received_share"]).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            Transformation.objects.create(
                unit=unit,
                achievement=row,
                ref=f"H{n}-{m}",
                mode=c["mode"],
                transferee=local if c["local"] else remote,
                signed_on=c["signed_on"],
                amount=c["amount"],
                received=received,
                status=c["status"],
            )
            contracts.append({**c, "received": received, "achievement": record})
    return units, achievements, contracts


def scopes(units):
    yield Scope(), lambda a: True
    for unit_type in ("university", "institute"):
        yield Scope(unit_type=unit_type), lambda a, t=unit_type: a["unit_type"] == t
    for region, prefix in (("210100", "2101"), ("210102", "210102"), ("210200", "2102"), ("210000", "21")):
        yield Scope(region=region), lambda a, p=prefix: a["region"].startswith(p)
    for code in ("A01", "B02"):
        yield Scope(cluster=code), lambda a, c=code: a["cluster"] == c
    for unit in units:
        yield Scope(unit=unit.code), lambda a, c=unit.code: a["unit"] == c
    yield (
        Scope(unit_type="university", region="210100", cluster="A01"),
        lambda a: a["unit_type"] == "university" and a["region"].startswith("2101") and a["cluster"] == "A01",
    )


def drop_meta(summary):
    meta = ("year", "scope", "computed_at", "period", "as_of", "through")
    return {k: v for k, v in summary.items() if k not in meta}


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registry=registry_st)
def test_every_metric_of_every_scope_and_year_matches_the_reference(registry):
    with transaction.atomic():
        units, achievements, contracts = materialise(registry)
        engine.recompute_full()
        for scope, in_scope in scopes(units):
            for year in YEARS:
                expected = reference(year, achievements, contracts, in_scope)
                assert drop_meta(stats_summary(year=year, scope=scope)) == expected, (scope, year)
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registry=registry_st)
def test_breakdowns_and_timeseries_match_the_reference(registry):
    with transaction.atomic():
        units, achievements, contracts = materialise(registry)
        engine.recompute_full()
        province = lambda a: True  # noqa: E731
        for year in (2021, 2023):
            dims = {
                "unit_type": lambda a: a["unit_type"],
                "region": lambda a: a["region"][:4] + "00",
                "cluster": lambda a: a["cluster"],
                "unit": lambda a: a["unit"],
                "trl": lambda a: a["trl"],
                "ip_type": lambda a: a["ip_type"],
            }
            for by, value_of in dims.items():
                rows = stats_breakdown(year=year, by=by, scope=Scope())
                for row in rows:
                    expected = reference(
                        year, achievements, contracts, lambda a, k=row["key"], f=value_of: f(a) == k
                    )
                    got = {k: v for k, v in row.items() if k not in ("key", "label")}
                    assert got == expected, (by, row["key"])
                keys = {value_of(a) for a in achievements} | {value_of(c["achievement"]) for c in contracts}
                nonempty = {
                    k
                    for k in keys
                    if (r := reference(year, achievements, contracts, lambda a, k=k, f=value_of: f(a) == k))[
                        "achievements"
                    ]
                    or r["contracts"]
                }
                assert {row["key"] for row in rows} == nonempty, by
                assert [Decimal(r["amount"]) for r in rows] == sorted(
                    (Decimal(r["amount"]) for r in rows), reverse=True
                )
            rows = stats_breakdown(year=year, by="mode", scope=Scope())
            for row in rows:
                full = reference(
                    year, achievements, contracts, province, lambda c, m=row["key"]: c["mode"] == m
                )
                expected = {k: full[k] for k in row if k not in ("key", "label")}
                assert {k: v for k, v in row.items() if k not in ("key", "label")} == expected
                assert "achievements" not in row and "conversion_rate" not in row
        series = stats_timeseries(year_from=2019, year_to=2024, scope=Scope(unit_type="university"))
        assert [s["year"] for s in series] == list(range(2019, 2025))
        for s in series:
            expected = reference(s["year"], achievements, contracts, lambda a: a["unit_type"] == "university")
            assert {k: v for k, v in s.items() if k != "year"} == expected
        transaction.set_rollback(True)


# --- year to date (docs/metrics.md, "Year to date") -------------------------------------------------

CUTOFFS = [D(2024, 2, 29), D(2023, 1, 1), D(2023, 12, 31), D(2022, 6, 30), D(2021, 3, 1), D(2020, 12, 30)]


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    registry=registry_st,
    as_of=st.one_of(st.sampled_from(CUTOFFS), st.dates(D(1985, 1, 1), datetime.date.today())),
)
def test_year_to_date_figures_and_same_period_growth_match_the_reference(registry, as_of):
    """Every figure up to as_of's month and day in Y, growth against 1 Jan … the same day of Y−1;
    a cut-off after today is refused naming as_of."""
    today = timezone.localdate()
    with transaction.atomic():
        units, achievements, contracts = materialise(registry)
        engine.recompute_full()
        for scope, in_scope in scopes(units):
            for year in YEARS:
                if ref_day(year, as_of) > today:
                    with pytest.raises(ScopeError) as refused:
                        stats_summary(year=year, scope=scope, as_of=as_of)
                    assert refused.value.param == "as_of"
                    continue
                got = stats_summary(year=year, scope=scope, as_of=as_of)
                assert (got["period"], got["as_of"], got["through"]) == ("ytd", as_of, ref_day(year, as_of))
                expected = reference(year, achievements, contracts, in_scope, until=as_of)
                assert drop_meta(got) == expected, (scope, year, as_of)
        # On 31 Dec the year to date is the whole year: both ways of computing agree.
        for year in (2021, 2023):
            whole = stats_summary(year=year, scope=Scope(), as_of=D(2024, 12, 31))
            assert drop_meta(whole) == drop_meta(stats_summary(year=year, scope=Scope()))
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    registry=registry_st, as_of=st.one_of(st.sampled_from(CUTOFFS), st.dates(D(2020, 1, 1), D(2024, 12, 31)))
)
def test_year_to_date_breakdowns_and_timeseries_match_the_reference(registry, as_of):
    with transaction.atomic():
        units, achievements, contracts = materialise(registry)
        engine.recompute_full()
        dims = {
            "unit_type": lambda a: a["unit_type"],
            "region": lambda a: a["region"][:4] + "00",
            "cluster": lambda a: a["cluster"],
            "unit": lambda a: a["unit"],
            "trl": lambda a: a["trl"],
            "ip_type": lambda a: a["ip_type"],
        }
        for year in (2021, 2023):
            for by, value_of in dims.items():
                rows = stats_breakdown(year=year, by=by, scope=Scope(), as_of=as_of)
                for row in rows:
                    expected = reference(
                        year,
                        achievements,
                        contracts,
                        lambda a, k=row["key"], f=value_of: f(a) == k,
                        until=as_of,
                    )
                    assert {k: v for k, v in row.items() if k not in ("key", "label")} == expected, (by, row)
                keys = {value_of(a) for a in achievements}
                nonempty = {
                    k
                    for k in keys
                    if (
                        r := reference(
                            year, achievements, contracts, lambda a, k=k, f=value_of: f(a) == k, until=as_of
                        )
                    )["achievements"]
                    or r["contracts"]
                }
                assert {row["key"] for row in rows} == nonempty, by
            for row in stats_breakdown(year=year, by="mode", scope=Scope(), as_of=as_of):
                full = reference(
                    year,
                    achievements,
                    contracts,
                    lambda a: True,
                    lambda c, m=row["key"]: c["mode"] == m,
                    until=as_of,
                )
                assert {k: v for k, v in row.items() if k not in ("key", "label")} == {
                    k: full[k] for k in row if k not in ("key", "label")
                }
        series = stats_timeseries(year_from=2019, year_to=2024, scope=Scope(region="210100"), as_of=as_of)
        assert [s["year"] for s in series] == list(range(2019, 2025))
        for s in series:
            expected = reference(
                s["year"], achievements, contracts, lambda a: a["region"].startswith("2101"), until=as_of
            )
            assert {k: v for k, v in s.items() if k != "year"} == expected, s["year"]
        transaction.set_rollback(True)
