"""The generated demo data (``seed_demo``) lands on the paper's figures (docs/domain.md, "Figures
the demo data reproduces") under the metric definitions of docs/metrics.md, is synthetic, valid, deterministic and
idempotent.

The data is the test session's demo data (``demo_data`` in conftest.py, seeded once); the figures are
recomputed here with plain ORM aggregation, written straight from the definitions, independently of
the statistics engine.
"""

import datetime
import io
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Avg, Count, F, Max, Min, Q, Sum

from accounts.models import User
from achievements.demo.generator import build_plan, unit_codes
from achievements.demo.services import DEMO_LOGINS, demo_digest, demo_reset, synthetic_counts
from achievements.models import Achievement, Transferee, Transformation, Unit
from core.validators import validate_credit_code, validate_patent_no, validate_region_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_data")]


# --- the figures, straight from docs/metrics.md ----------------------------------------------------


def _rate(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _growth(current, previous):
    if not previous:
        return None
    return (Decimal(current) / Decimal(previous) - 1).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def summary(year, unit_type=None):
    end = datetime.date(year, 12, 31)
    achievements = Achievement.objects.all()
    contracts = Transformation.objects.filter(status="effective")  # only effective contracts count
    if unit_type:
        achievements = achievements.filter(unit__type=unit_type)
        contracts = contracts.filter(unit__type=unit_type)
    stock = achievements.filter(registered_on__lte=end).filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=end)
    )

    def in_year(y):
        return contracts.filter(
            signed_on__gte=datetime.date(y, 1, 1), signed_on__lte=datetime.date(y, 12, 31)
        )

    this_year, last_year = in_year(year), in_year(year - 1)
    amount = this_year.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    last_amount = last_year.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    local_amount = this_year.filter(transferee__region__startswith="21").aggregate(s=Sum("amount"))["s"] or 0
    transformed = this_year.values("achievement").distinct().count()
    transformed_last = last_year.values("achievement").distinct().count()
    ever_transformed = (
        stock.filter(transformations__status="effective", transformations__signed_on__lte=end)
        .distinct()
        .count()
    )
    size = stock.count()
    return {
        "achievements": size,
        "convertible": stock.filter(convertible=True).count(),
        "convertible_units": stock.filter(convertible=True).values("unit").distinct().count(),
        "transformed": transformed,
        "transforming_units": this_year.values("unit").distinct().count(),
        "contracts": this_year.count(),
        "amount": amount,
        "conversion_rate": _rate(ever_transformed, size),
        "local_rate_amount": _rate(local_amount, amount),
        "yoy_transformed": _growth(transformed, transformed_last),
        "yoy_amount": _growth(amount, last_amount),
    }


def test_2024_has_4016_convertible_achievements_from_all_104_units():
    figures = summary(2024)
    assert figures["convertible"] == 4016
    assert figures["convertible_units"] == 104


def test_2023_universities_land_on_the_papers_figures():
    figures = summary(2023, "university")
    assert figures["transforming_units"] == 40
    assert figures["transformed"] == 7638
    assert figures["amount"] == Decimal("4026000000.00")
    assert Decimal("0.555") <= figures["yoy_transformed"] <= Decimal("0.565")
    assert Decimal("0.895") <= figures["yoy_amount"] <= Decimal("0.905")
    assert Decimal("0.595") <= figures["conversion_rate"] <= Decimal("0.605")
    assert figures["achievements"] >= 12730


def test_2023_all_units_amount_growth_and_local_rate():
    figures = summary(2023)
    assert Decimal("0.765") <= figures["yoy_amount"] <= Decimal("0.775")
    assert figures["local_rate_amount"] == Decimal("0.4010")


def test_2024_local_rate_is_above_57_percent():
    assert summary(2024)["local_rate_amount"] > Decimal("0.57")


def test_convertible_count_stays_4016_in_later_years():
    assert summary(2025)["convertible"] == 4016


# --- the data itself ------------------------------------------------------------------------------


def test_every_generated_record_is_synthetic():
    for model in (Unit, Achievement, Transferee, Transformation):
        assert model.objects.exists()
        assert not model.objects.filter(synthetic=False).exists(), model.__name__


def test_units_are_104_universities_and_institutes_in_liaoning():
    assert Unit.objects.count() == 104
    assert set(Unit.objects.values_list("type", flat=True)) == {"university", "institute"}
    regions = list(Unit.objects.values_list("region", flat=True))
    for region in regions:
        validate_region_code(region)
        assert region.startswith("21")
    assert sum(r[:4] in ("2101", "2102") for r in regions) > len(regions) / 2


def _org_code_check(body):
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def test_credit_codes_are_valid_with_a_valid_organisation_code():
    for model, kind in ((Unit, "12"), (Transferee, "91")):
        for code in model.objects.values_list("code", flat=True):
            validate_credit_code(code)
            assert code.startswith(kind)
            assert code[16] == _org_code_check(code[8:16])


def test_patent_numbers_validate_and_match_type_and_registration_year():
    patents = Achievement.objects.filter(ip_type__in=["invention_patent", "utility_model", "design"])
    assert patents.count() > 10_000
    for patent_no, ip_type, registered_on in patents.values_list("patent_no", "ip_type", "registered_on"):
        validate_patent_no(patent_no, ip_type)
        assert int(patent_no[:4]) <= registered_on.year
    assert (
        not Achievement.objects.exclude(ip_type__in=["invention_patent", "utility_model", "design"])
        .exclude(patent_no="")
        .exists()
    )


def test_a_sample_of_each_model_passes_full_clean():
    rng = random.Random(1)
    for model in (Unit, Achievement, Transferee, Transformation):
        ids = list(model.objects.values_list("id", flat=True))
        for obj in model.objects.filter(id__in=rng.sample(ids, min(60, len(ids)))):
            obj.full_clean()


def test_transferees_are_local_and_out_of_province_enterprises():
    assert Transferee.objects.filter(is_local=True).exists()
    out_of_province = Transferee.objects.filter(is_local=False)
    assert out_of_province.filter(region__startswith="11").exists()  # Beijing
    assert out_of_province.filter(region__startswith="31").exists()  # Shanghai
    assert all(name.endswith("公司") for name in Transferee.objects.values_list("name", flat=True)[:500])


def test_contracts_look_like_real_contracts():
    effective = Transformation.objects.filter(status="effective")
    span = Transformation.objects.aggregate(first=Min("signed_on"), last=Max("signed_on"))
    assert span["first"].year == 2018 and span["last"].year == 2025
    assert Transformation.objects.filter(status="cancelled").exists()
    by_mode = {
        row["mode"]: row for row in effective.values("mode").annotate(n=Count("id"), avg=Avg("amount"))
    }
    total = sum(row["n"] for row in by_mode.values())
    assert by_mode["equity"]["n"] / total < 0.03  # equity deals are rare ...
    assert by_mode["equity"]["avg"] > 5 * by_mode["transfer"]["avg"]  # ... and large
    amounts = sorted(effective.values_list("amount", flat=True))
    median = amounts[len(amounts) // 2]
    assert Decimal("10000") < median < Decimal("1000000")  # many small contracts
    assert amounts[-1] > 50 * median  # a few large ones
    assert effective.filter(received__lt=F("amount")).exists()
    # Several contracts for one achievement in one year happen.
    assert effective.values("achievement", "signed_on__year").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_withdrawn_achievements_have_a_date_and_no_effective_contract():
    withdrawn = Achievement.objects.filter(status="withdrawn")
    assert withdrawn.exists()
    assert not withdrawn.filter(withdrawn_on__isnull=True).exists()
    assert not Transformation.objects.filter(status="effective", achievement__status="withdrawn").exists()


def test_contracts_are_signed_after_the_achievement_is_registered():
    assert not Transformation.objects.filter(signed_on__lt=F("achievement__registered_on")).exists()


# --- idempotency, determinism, logins --------------------------------------------------------------


def test_a_second_run_changes_nothing():
    before = synthetic_counts()
    out = io.StringIO()
    call_command("seed_demo", "--with-logins", stdout=out)
    assert synthetic_counts() == before
    assert "已存在" in out.getvalue()
    assert User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).count() == 3


def test_registered_app_seeders_run_on_every_seed_and_report_their_counts():
    """Apps add their part of the demo data through ``core.registry.DemoSeeder``."""
    from core import registry

    calls = []
    seeder = registry.DemoSeeder(
        name="test-seeder", seed=lambda seed: calls.append(seed) or {"TestThing": 7}, reset=lambda: None
    )
    registry.register(seeder)
    try:
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
    finally:
        registry.registry.unregister(registry.DemoSeeder, "test-seeder")
    assert calls == [2024]
    assert "TestThing 7" in out.getvalue()


def test_another_seed_is_refused_while_demo_data_exists():
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--seed", "7", stdout=io.StringIO())


def test_the_same_seed_gives_the_same_data():
    assert build_plan(2024).digest() == demo_digest()


def test_another_seed_gives_other_data():
    assert unit_codes(7) != unit_codes(2024)
    assert set(unit_codes(2024)) == set(Unit.objects.values_list("code", flat=True))


def test_demo_logins_exist_with_their_roles():
    staff = User.objects.get(username="staff")
    unit_user = User.objects.get(username="unit")
    assert staff.is_staff and staff.unit is None
    assert not unit_user.is_staff and unit_user.unit.synthetic and unit_user.unit.type == "university"
    assert User.objects.get(username="admin").is_superuser
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    for login in DEMO_LOGINS:
        assert login.username in out.getvalue() and login.password in out.getvalue()


def test_seed_demo_printed_the_logins(demo_data):
    for login in DEMO_LOGINS:
        assert login.username in demo_data and login.password in demo_data


def test_demo_reset_removes_every_synthetic_record_and_the_logins():
    demo_reset()
    assert not any(synthetic_counts().values())
    assert not User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).exists()
