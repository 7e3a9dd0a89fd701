"""The annual reports' part of the demo data (``seed_demo``; core.registry.DemoSeeder): a 2023
cycle, its reports prefilled from the demo registry, left in every state — not started, draft,
submitted, returned with field comments, resubmitted, accepted, and accepted then revised. The
reported figures equal the registry's except for a few units, whose differences carry an
explanation; one unit's cash rewards are below the Art. 45 minimum, explained."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from reviews.choices import ReviewAction

from . import figures, services
from .models import AnnualReport, ReportCycle

DEMO_YEAR = 2023
DEMO_DEADLINE = datetime.date(2024, 5, 31)
DEMO_UNIT = "大连理工大学"  # the demo login "unit": its report waits for its corrections
# The state each report is left in, by its position among the units (by credit code).
PLAN = ("not_started", "draft", "submitted", "returned", "resubmitted", "accepted", "accepted", "revised")


def _fields(report: AnnualReport, index: int) -> dict:
    """Plausible figures for the other sections, from the report's registry block."""
    total = figures.block_total(report.registry, figures.MODES)
    licences = figures.block_total(report.registry, ("transfer", "license"))
    net = (licences["received"] * Decimal("0.85")).quantize(figures.CENT)
    share = Decimal("0.40") if index % 11 == 4 else Decimal("0.70")
    reported = {part: dict(values) for part, values in report.registry.items()}
    explanations = {}
    if index % 9 == 2 and total["contracts"]:
        # A contract signed in late December, registered after the report was prefilled.
        for part in ("transfer", "non_local"):
            reported[part]["contracts"] = int(reported[part]["contracts"]) + 1
            reported[part]["amount"] = figures.money(Decimal(reported[part]["amount"]) + Decimal("200000"))
            explanations[f"reported.{part}.contracts"] = "12月28日签订的转让合同尚未录入成果库"
            explanations[f"reported.{part}.amount"] = "含12月28日签订、尚未录入成果库的转让合同20万元"
    sme = (total["contracts"] * 3) // 5
    return {
        "reported": reported,
        "explanations": explanations,
        "sme_contracts": sme,
        "sme_amount": (total["amount"] * Decimal("0.45")).quantize(figures.CENT) if sme else Decimal("0.00"),
        "sme_received": (total["received"] * Decimal("0.40")).quantize(figures.CENT) if sme else Decimal("0.00"),
        "service_contracts": 20 + index % 37,
        "service_amount": Decimal(1_500_000 + 10_000 * (index % 50)),
        "service_received": Decimal(1_200_000 + 8_000 * (index % 50)),
        "fiscal_transformed": total["contracts"] // 3,
        "companies": index % 4,
        "venture_staff": index % 6,
        "net_income": net,
        "reward_cash": (net * share).quantize(figures.CENT),
        "reward_equity": Decimal("0.00"),
        "rewarded_people": 3 + index % 20 if net else 0,
        "team_share_explanation": "本单位成果转化收益分配办法规定现金奖励40%，另以股权奖励补足" if share < Decimal("0.5") else "",
        "tto_exists": True,
        "tto_staff": 2 + index % 8,
        "tto_managers": 1 + index % 5,
        "typical_cases": "演示数据（模拟）：某高性能材料制备技术以许可方式转化给省内企业，当年实现产业化。",
        "problems": "演示数据（模拟）：中试熟化资金不足，专职技术经理人队伍有待加强。",
    }


def _act(report, action, **kwargs):
    return services.report_transition(report=report, action=action, acting_user=None,
                                      expected_version=report.version, **kwargs)


def _file(report: AnnualReport, state: str, index: int) -> None:
    if state == "not_started":
        return
    report = services.report_update(report=report, acting_user=None, changes=_fields(report, index),
                                    expected_version=report.version)
    if state == "draft":
        return
    report = _act(report, ReviewAction.SUBMIT)
    if state == "submitted":
        return
    if state in ("returned", "resubmitted"):
        report = _act(report, ReviewAction.RETURN, note="请核实技术转移机构人员数据",
                      comments=[("tto_managers", "持证技术经理人数与上年备案不一致，请核实。")])
        if state == "returned":
            return
        report = services.report_update(report=report, acting_user=None, changes={"tto_managers": report.tto_managers},
                                        expected_version=report.version)
        _act(report, ReviewAction.RESUBMIT)
        return
    report = _act(report, ReviewAction.ACCEPT)
    if state == "revised":
        services.report_revise(report=report, acting_user=None, note="更正股权奖励金额")


def seed(seed: int) -> dict[str, int]:
    if not ReportCycle.objects.filter(year=DEMO_YEAR).exists():
        from dashboards import engine  # the registry block reads the statistics snapshot

        with transaction.atomic():
            # Only when the snapshot is behind the records (a fresh demo registry: yes); `make run`
            # then finds it current and does not compute it a second time (recompute_stats --if-needed).
            engine.recompute_if_needed()
            services.cycle_open(year=DEMO_YEAR, deadline=DEMO_DEADLINE, acting_user=None, synthetic=True)
            reports = list(AnnualReport.objects.filter(year=DEMO_YEAR).select_related("unit").order_by("unit__code"))
            for index, report in enumerate(reports):
                state = "returned" if report.unit.name == DEMO_UNIT else PLAN[index % len(PLAN)]
                _file(report, state, index)
    return {"ReportCycle": ReportCycle.objects.filter(synthetic=True).count(),
            "AnnualReport": AnnualReport.objects.filter(synthetic=True).count()}


def reset() -> None:
    from django.contrib.contenttypes.models import ContentType

    from reviews.models import ReviewLog

    reports = AnnualReport.objects.filter(synthetic=True)
    ReviewLog.objects.filter(content_type=ContentType.objects.get_for_model(AnnualReport),
                             object_id__in=reports.values("pk")).delete()
    reports.delete()
    ReportCycle.objects.filter(synthetic=True, reports__isnull=True).delete()
