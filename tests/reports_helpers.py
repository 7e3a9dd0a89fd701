"""Building annual reports for tests (test_reviews, test_reports, the access matrix)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from dashboards import engine
from reports import figures, services
from reports.models import AnnualReport, ReportCycle

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory

YEAR = 2023


def cycle(year: int = YEAR, deadline: datetime.date | None = None) -> ReportCycle:
    return ReportCycle.objects.get_or_create(year=year, defaults={"deadline": deadline or datetime.date(year + 1, 5, 31)})[0]


def report(unit, *, year: int = YEAR, **fields) -> AnnualReport:
    """A draft report of ``unit`` (registry block read now), with ``fields`` set."""
    c = cycle(year)
    block = figures.empty_block()
    r = AnnualReport.objects.create(cycle=c, unit=unit, year=year, registry=block, reported=block, **fields)
    return r


def complete_fields(report_: AnnualReport) -> dict:
    """Values of every section that pass the checks, with the reported block equal to the registry."""
    return {
        "reported": {part: dict(values) for part, values in report_.registry.items()},
        "sme_contracts": 0,
        "sme_amount": Decimal("0.00"),
        "sme_received": Decimal("0.00"),
        "service_contracts": 3,
        "service_amount": Decimal("300000.00"),
        "service_received": Decimal("100000.00"),
        "fiscal_transformed": 1,
        "companies": 0,
        "venture_staff": 2,
        "net_income": Decimal("100000.00"),
        "reward_cash": Decimal("70000.00"),
        "reward_equity": Decimal("0.00"),
        "rewarded_people": 4,
        "tto_exists": True,
        "tto_staff": 3,
        "tto_managers": 2,
        "typical_cases": "某合金制备技术许可给本省企业。",
        "problems": "专业技术经理人不足。",
    }


def complete(report_: AnnualReport, user) -> AnnualReport:
    return services.report_update(
        report=report_, acting_user=user, changes=complete_fields(report_), expected_version=report_.version
    )


def contracts(unit, *, year: int = YEAR) -> list:
    """Three effective contracts of ``unit`` signed in ``year`` (two local, one out of province),
    and the statistics snapshot recomputed."""
    local = TransfereeFactory(region="210200")
    far = TransfereeFactory(region="110000")
    made = [
        TransformationFactory(achievement=AchievementFactory(unit=unit), mode="transfer", transferee=local,
                              signed_on=datetime.date(year, 3, 1), amount=Decimal("100000.00"),
                              received=Decimal("40000.00")),
        TransformationFactory(achievement=AchievementFactory(unit=unit), mode="license", transferee=local,
                              signed_on=datetime.date(year, 5, 1), amount=Decimal("50000.00"), received=None),
        TransformationFactory(achievement=AchievementFactory(unit=unit), mode="transfer", transferee=far,
                              signed_on=datetime.date(year, 7, 1), amount=Decimal("30000.00"),
                              received=Decimal("30000.00")),
    ]
    engine.recompute_full()
    return made
