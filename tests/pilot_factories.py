"""Small builders of pilot-base records for the tests (through the services, as the system)."""

from decimal import Decimal

from achievements.models import Cluster
from pilots import services
from pilots.models import PilotService
from reviews.choices import ReviewAction

_seq = [0]


def make_base(operator, *, code=None, city="210100", clusters=("A01",), services_=("pilot_test",), **fields):
    _seq[0] += 1
    values = {
        "code": code or f"T-{_seq[0]:04d}",
        "name": f"测试中试基地{_seq[0]}",
        "operator": operator,
        "city": city,
        "designated_year": 2022,
        "site_area_m2": Decimal("10000.00"),
        "equipment_count": 100,
        "staff_count": 30,
    }
    values.update(fields)
    return services.base_create(
        acting_user=None,
        clusters=list(Cluster.objects.filter(code__in=clusters)),
        services=list(PilotService.objects.filter(code__in=services_)),
        **values,
    )


def make_report(base, year, *, accepted=True, **figures):
    values = {
        "pilot_tests": 10,
        "achievements_tested": 5,
        "enterprises_served": 20,
        "enterprises_local": 10,
        "revenue": Decimal("1000000.00"),
        "equipment_utilisation": Decimal("60.00"),
        "staff_year_end": base.staff_count,
    }
    values.update(figures)
    report = services.report_create(base=base, year=year, acting_user=None, **values)
    if accepted:
        report = services.report_transition(report=report, action=ReviewAction.SUBMIT, acting_user=None)
        report = services.report_transition(report=report, action=ReviewAction.ACCEPT, acting_user=None)
    return report
