"""Property-based check of the evaluation: generated contracts and rule parameters, evaluated by the
service (through the database) and by a plain reference implementation written from the rule's
statement (docs/incentives.md, the evaluation's order: beneficiary, signature date, owning unit's credit code, reference;
5 %-style rate rounded half-up to the fen, then the per-award cap, the beneficiary's yearly cap and
the year's budget). Also: caps and budget never exceeded, and a second run changes nothing."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incentives import services
from incentives.models import Award, Rule

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory

pytestmark = pytest.mark.django_db
YEAR = 2024
MODES = ["transfer", "license", "equity", "cooperation"]
TYPES = ["university", "institute", "enterprise"]

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("4000000.00"), places=2)
contract_st = st.fixed_dictionaries(
    {
        "unit": st.integers(0, 2),
        "transferee": st.integers(0, 2),
        "mode": st.sampled_from(MODES),
        "status": st.sampled_from(["effective", "effective", "effective", "cancelled"]),
        "received": st.one_of(st.none(), money, money, money),
        "extra": money,
        "signed_on": st.one_of(
            st.dates(datetime.date(2022, 1, 1), datetime.date(2024, 12, 31)),
            st.dates(datetime.date(2019, 1, 1), datetime.date(2024, 12, 31)),
        ),
    }
)
params_st = st.fixed_dictionaries(
    {
        "modes": st.one_of(st.just(MODES), st.lists(st.sampled_from(MODES), min_size=1, unique=True)),
        "unit_types": st.one_of(st.just(TYPES), st.lists(st.sampled_from(TYPES), min_size=1, unique=True)),
        "local": st.sampled_from([True, None]),
        "min_amount": st.sampled_from([None, None, "0.00", "500000.00", "1000000.00"]),
        "within": st.sampled_from([None, 0, 1, 2, 3]),
        "rate": st.sampled_from(["0.05", "0.035", "0.125", "0.0333", "0.000005"]),
        "cap_award": st.sampled_from([None, "50000.00", "120000.01"]),
        "cap_beneficiary": st.sampled_from([None, "100000.00", "2000000.00"]),
        "budget": st.sampled_from([None, "150000.00", "333333.33", "100000000.00"]),
        "beneficiary": st.sampled_from(["transferee", "unit"]),
    }
)


def reference(rows, p, year):
    """The rule, written plainly: {contract ref: amount}."""
    first = datetime.date(year - p["within"], 1, 1) if p["within"] is not None else None
    chosen = []
    for r in rows:
        base = r["received"] or Decimal("0")
        if r["status"] != "effective" or r["mode"] not in p["modes"] or r["unit_type"] not in p["unit_types"]:
            continue
        if p["local"] and not r["local"]:
            continue
        if p["min_amount"] is not None and r["amount"] < Decimal(p["min_amount"]):
            continue
        if first is not None and not first <= r["signed_on"] <= datetime.date(year, 12, 31):
            continue
        if base == 0:
            continue
        chosen.append(r)
    holder = "transferee_code" if p["beneficiary"] == "transferee" else "unit_code"
    chosen.sort(key=lambda r: (r[holder], r["signed_on"], r["unit_code"], r["ref"]))
    used = defaultdict(Decimal)
    left = Decimal(p["budget"]) if p["budget"] else None
    result = {}
    for r in chosen:
        amount = ((r["received"] or Decimal(0)) * Decimal(p["rate"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if p["cap_award"]:
            amount = min(amount, Decimal(p["cap_award"]))
        if p["cap_beneficiary"]:
            amount = min(amount, Decimal(p["cap_beneficiary"]) - used[r[holder]])
        if left is not None:
            amount = min(amount, left)
        if amount <= 0:
            continue
        used[r[holder]] += amount
        if left is not None:
            left -= amount
        result[r["ref"]] = amount
    return result


def _rule(p) -> Rule:
    rule = Rule.objects.create(code="prop", name="性质测试", policy="测试", kind="payment", subject="contract",
                               beneficiary_kind=p["beneficiary"], valid_from=datetime.date(2020, 1, 1), status="active")
    values = {
        "contract_modes": p["modes"], "unit_types": p["unit_types"], "transferee_local": p["local"],
        "min_amount": p["min_amount"], "signed_within_years": p["within"],
        "formula": {"kind": "percent", "base": "received", "rate": p["rate"]},
        "cap_per_award": p["cap_award"], "cap_per_beneficiary_year": p["cap_beneficiary"], "budget_per_year": p["budget"],
    }
    for key, value in values.items():
        if value is not None:
            services.parameter_add(rule=rule, key=key, value=value, valid_from=datetime.date(2020, 1, 1), acting_user=None)
    return rule


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(contracts=st.lists(contract_st, max_size=8), p=params_st)
def test_evaluation_matches_the_reference(db, contracts, p):
    with transaction.atomic():
        units = [UnitFactory(type=t) for t in TYPES]
        firms = [TransfereeFactory(region="210200"), TransfereeFactory(region="210100"), TransfereeFactory(region="110000")]
        rows = []
        for n, c in enumerate(contracts):
            unit = units[c["unit"]]
            firm = firms[c["transferee"]]
            made = TransformationFactory(
                achievement=AchievementFactory(unit=unit), ref=f"P-{n:02d}", mode=c["mode"], status=c["status"],
                transferee=firm, signed_on=c["signed_on"], received=c["received"],
                amount=(c["received"] or Decimal(0)) + c["extra"],
            )
            rows.append({**c, "ref": made.ref, "amount": made.amount, "unit_type": unit.type, "unit_code": unit.code,
                         "transferee_code": firm.code, "local": firm.region.startswith("21")})
        rule = _rule(p)
        services.evaluate_rule(rule=rule, year=YEAR)
        got = {a.contract.ref: a.amount for a in Award.objects.filter(rule=rule, status="proposed").select_related("contract")}
        expected = reference(rows, p, YEAR)
        assert got == expected
        event(f"awards: {min(len(expected), 3)}")
        # never above a cap or the budget
        per = defaultdict(Decimal)
        for a in Award.objects.filter(rule=rule):
            per[a.beneficiary_code] += a.amount
            if p["cap_award"]:
                assert a.amount <= Decimal(p["cap_award"])
        if p["cap_beneficiary"]:
            assert all(total <= Decimal(p["cap_beneficiary"]) for total in per.values())
        if p["budget"]:
            assert sum(per.values(), Decimal(0)) <= Decimal(p["budget"])
        # idempotence: a second run writes nothing
        before = list(Award.objects.filter(rule=rule).values_list("pk", "amount", "status", "version", "explanation"))
        again = services.evaluate_rule(rule=rule, year=YEAR)
        assert set(again.counts) <= {"unchanged"}
        assert list(Award.objects.filter(rule=rule).values_list("pk", "amount", "status", "version", "explanation")) == before
        transaction.set_rollback(True)
