"""The pilot bases' part of ``seed_demo`` (core.registry.DemoSeeder): 36 synthetic bases whose 2024
totals reproduce the published figures (docs/demo-data.md, docs/pilots.md: 36 bases, 1.66 million m², more than 10,000
equipment items, nearly 2,000 staff, more than 100 million yuan of provincial funds), their funds,
two years of performance reports (2023 accepted; 2024 mostly accepted, some still open), the
department's ratings, both years evaluated, and requests in every state. Deterministic for a seed;
idempotent. Everything is written through ``pilots.services`` as the system (``None``)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from achievements.choices import AchievementStatus, UnitType
from achievements.models import Achievement, Cluster, Unit
from reviews.choices import ReviewAction

from .. import services
from ..choices import Outcome
from ..models import (
    BaseEvaluation,
    BaseFund,
    BaseRating,
    BaseStatusChange,
    PerformanceReport,
    PilotBase,
    PilotRequest,
    PilotService,
)

BASES = 36
DESIGNATED_2023 = 14  # "14 bases were added in 2023 (36 in all)"
TOTAL_AREA = Decimal("1660000.00")
TOTAL_EQUIPMENT = 10_250
TOTAL_STAFF = 1_985
TOTAL_FUNDS = Decimal("103500000.00")
FUND_YEARS = (2022, 2023, 2024)
REPORT_YEARS = (2023, 2024)
DEMO_OPERATOR = "大连理工大学"  # the demo unit login operates a base
NAMES = (
    "高端装备",
    "精细化工",
    "新材料",
    "智能制造",
    "海洋工程",
    "生物医药",
    "新能源",
    "集成电路",
    "先进钢铁",
    "菱镁材料",
    "农产品加工",
    "轨道交通",
)


def _split(total, weights, places: int) -> list[Decimal]:
    """``total`` split in proportion to ``weights``, rounded to ``places``; the last part takes the rest."""
    quantum = Decimal(1).scaleb(-places)
    whole = sum(weights)
    parts = [(Decimal(total) * Decimal(w) / Decimal(whole)).quantize(quantum) for w in weights[:-1]]
    return [*parts, Decimal(total) - sum(parts)]


def counts() -> dict[str, int]:
    return {
        "PilotBase": PilotBase.objects.filter(synthetic=True).count(),
        "PerformanceReport": PerformanceReport.objects.filter(synthetic=True).count(),
        "PilotRequest": PilotRequest.objects.filter(synthetic=True).count(),
    }


@transaction.atomic
def seed(seed: int) -> dict[str, int]:
    if PilotBase.objects.filter(synthetic=True).exists():
        return counts()
    operators = list(
        Unit.objects.filter(synthetic=True, type__in=(UnitType.UNIVERSITY, UnitType.INSTITUTE)).order_by(
            "code"
        )
    )
    if not operators:
        return counts()
    rng = random.Random(seed * 7919 + 11)
    demo = [u for u in operators if u.name == DEMO_OPERATOR]
    rng.shuffle(operators)
    operators = (demo + [u for u in operators if u not in demo]) * 3
    clusters = list(Cluster.objects.filter(is_active=True).order_by("code"))
    services_ = list(PilotService.objects.filter(is_active=True))
    area_w = [rng.uniform(0.4, 1.6) for _ in range(BASES)]
    areas = _split(TOTAL_AREA, area_w, 2)
    equipment = [int(x) for x in _split(TOTAL_EQUIPMENT, [rng.uniform(0.5, 1.5) for _ in range(BASES)], 0)]
    staff = [int(x) for x in _split(TOTAL_STAFF, [rng.uniform(0.5, 1.5) for _ in range(BASES)], 0)]
    bases = []
    for n in range(BASES):
        operator = operators[n]
        city = operator.region[:4] + "00" if operator.region.startswith("21") else "210100"
        designated = 2023 if n >= BASES - DESIGNATED_2023 else 2022
        base = services.base_create(
            acting_user=None,
            synthetic=True,
            code=f"LNZS-{n + 1:03d}",
            name=f"辽宁省{NAMES[n % len(NAMES)]}中试基地（{operator.name}）",
            operator=operator,
            city=city,
            designated_year=designated,
            site_area_m2=areas[n],
            equipment_count=equipment[n],
            staff_count=staff[n],
            contact_name="基地联系人",
            contact_phone=f"024-2{n:03d}0000",
            clusters=rng.sample(clusters, k=min(len(clusters), rng.randint(1, 3))),
            services=rng.sample(services_, k=min(len(services_), rng.randint(2, 5))),
        )
        bases.append(base)
    # funds: each base from its designation year, split to reach the total
    slots = [(b, y) for b in bases for y in FUND_YEARS if y >= b.designated_year]
    for (base, year), amount in zip(
        slots, _split(TOTAL_FUNDS, [rng.uniform(0.5, 1.5) for _ in slots], 2), strict=True
    ):
        services.fund_record(
            base=base, year=year, amount=amount, acting_user=None, note="省级中试基地建设资金", synthetic=True
        )
    achievements = list(
        Achievement.objects.filter(synthetic=True, status=AchievementStatus.ACTIVE).order_by("pk")[:400]
    )
    for year in REPORT_YEARS:
        for n, base in enumerate(bases):
            if base.designated_year > year:
                continue
            tier = _tier(n, year)
            tests_ps, enterprises_ps, revenue_ps, _m, _r, use = TIERS[tier]
            staff_n = base.staff_count
            floor = (1, 3, 200_000) if tier == "fail" else FLOOR
            tests = max(floor[0], round(rng.uniform(*tests_ps) * staff_n))
            served = max(floor[1], round(rng.uniform(*enterprises_ps) * staff_n))
            revenue = max(floor[2], round(rng.uniform(*revenue_ps) * staff_n * 10_000))
            report = services.report_create(
                base=base,
                year=year,
                acting_user=None,
                synthetic=True,
                achievements=rng.sample(achievements, k=min(len(achievements), rng.randint(0, 3))),
                pilot_tests=tests,
                achievements_tested=rng.randint(max(1, tests // 3), tests),
                enterprises_served=served,
                enterprises_local=rng.randint(served // 2, served),
                revenue=Decimal(revenue),
                equipment_utilisation=Decimal(rng.randint(*use)),
                staff_year_end=staff_n,
            )
            _review(report, year, n)
            services.rating_save(
                base=base,
                year=year,
                management=Decimal(rng.randint(*TIERS[_tier(n, year)][3])),
                reputation=Decimal(rng.randint(*TIERS[_tier(n, year)][4])),
                acting_user=None,
                synthetic=True,
            )
        services.evaluate_year(year=year, acting_user=None)
    _requests(rng, bases, achievements, services_)
    return counts()


# The demo's evaluation looks like a real province's: a few 优秀, most 良好 or 合格, two or three
# 不合格 a year, and two bases (LNZS-005, LNZS-018) 不合格 in 2023 and 2024, on the watch list. Each
# base has a tier a year; its figures are drawn per member of staff from the tier's ranges (so the
# shipped rubric's per-staff and total indicators land in the tier's bands), with the department's
# ratings. The rubric is not touched: only the generated figures.
EXCELLENT = {2, 8, 13, 25, 31}
FAILING = {2023: {4, 9, 17}, 2024: {4, 17}}
# per staff member: pilot tests, enterprises served, revenue (万元); management and reputation
# ratings; equipment utilisation (%)
TIERS = {
    "excellent": ((0.42, 0.6), (1.05, 1.5), (21, 30), (90, 98), (90, 98), (75, 95)),
    "good": ((0.22, 0.39), (0.65, 0.99), (10.5, 19), (76, 89), (76, 89), (55, 85)),
    "pass": ((0.12, 0.19), (0.35, 0.59), (5.5, 9.5), (74, 86), (74, 86), (40, 70)),
    "fail": ((0.04, 0.09), (0.1, 0.29), (1, 4.9), (55, 74), (50, 74), (15, 40)),
}
# Every base but a failing one reaches at least these totals (10 pilot tests, 30 enterprises,
# 5,000,000 yuan): a small base's total figures stay in the tier's band.
FLOOR = (10, 30, 5_000_000)


def _tier(n: int, year: int) -> str:
    if n in FAILING.get(year, ()):
        return "fail"
    if n in EXCELLENT:
        return "excellent"
    return "pass" if n % 3 == 0 else "good"


def _review(report, year: int, n: int) -> None:
    """2023: every report accepted (one corrected by a second, accepted revision). 2024: most
    accepted; the others left in the other states (draft, submitted, returned with a comment,
    resubmitted)."""
    state = (
        "accepted"
        if year == 2023 or n % 6
        else ("draft", "submitted", "returned", "resubmitted", "draft", "submitted")[n % 5]
    )
    if state == "draft":
        return
    services.report_transition(report=report, action=ReviewAction.SUBMIT, acting_user=None)
    if state == "submitted":
        return
    if state in ("returned", "resubmitted"):
        services.report_transition(
            report=report,
            action=ReviewAction.RETURN,
            acting_user=None,
            comments=[("revenue", "服务收入请附合同清单核对。")],
        )
        if state == "resubmitted":
            services.report_transition(report=report, action=ReviewAction.RESUBMIT, acting_user=None)
        return
    services.report_transition(report=report, action=ReviewAction.ACCEPT, acting_user=None)
    if year == 2023 and n == 0:
        revised = services.report_revise(report=report, acting_user=None, note="更正服务企业数")
        services.report_update(
            report=revised, acting_user=None, enterprises_served=report.enterprises_served + 1
        )
        services.report_transition(report=revised, action=ReviewAction.SUBMIT, acting_user=None)
        services.report_transition(report=revised, action=ReviewAction.ACCEPT, acting_user=None)


def _requests(rng, bases, achievements, services_) -> None:
    """Requests in every state. Their timestamps are set back in time after each step (demo
    data only), so that the staff queue shows waiting times of days and weeks."""
    now = timezone.now()
    for n, achievement in enumerate(achievements[:12]):
        base = bases[n % len(bases)]
        request = services.request_create(
            achievement=achievement,
            service=rng.choice(services_),
            description="希望在中试基地完成工艺放大和小批量试制。",
            acting_user=None,
            synthetic=True,
        )
        sent = now - datetime.timedelta(days=rng.randint(20, 120))
        PilotRequest.objects.filter(pk=request.pk).update(created_at=sent)
        if n % 6 == 0:
            continue  # waiting for the requester to choose a base
        request = services.request_send(request=request, base=base, acting_user=None)
        PilotRequest.objects.filter(pk=request.pk).update(submitted_at=sent)
        step = n % 6
        if step == 1:
            continue
        if step == 2:
            services.request_answer(
                request=request, accept=False, reason="本年度设备排期已满。", acting_user=None
            )
            PilotRequest.objects.filter(pk=request.pk).update(answered_at=sent + datetime.timedelta(days=3))
            continue
        request = services.request_answer(request=request, accept=True, acting_user=None)
        answered = sent + datetime.timedelta(days=rng.randint(1, 10))
        PilotRequest.objects.filter(pk=request.pk).update(answered_at=answered)
        request.refresh_from_db()
        if step == 3:
            continue
        started = timezone.localtime(answered).date() + datetime.timedelta(days=5)
        request = services.request_start(request=request, on=started, acting_user=None)
        if step == 4:
            continue
        services.request_complete(
            request=request,
            on=min(started + datetime.timedelta(days=10), timezone.localdate()),
            outcome=Outcome.SUCCESS,
            note="达到预期指标。",
            acting_user=None,
        )


@transaction.atomic
def reset() -> None:
    bases = PilotBase.objects.filter(synthetic=True)
    PilotRequest.objects.filter(base__in=bases).delete()
    PilotRequest.objects.filter(synthetic=True).delete()
    PilotRequest.objects.filter(achievement__synthetic=True).delete()
    BaseEvaluation.objects.filter(base__in=bases).delete()
    PerformanceReport.objects.filter(base__in=bases).delete()
    BaseFund.objects.filter(base__in=bases).delete()
    BaseRating.objects.filter(base__in=bases).delete()
    BaseStatusChange.objects.filter(base__in=bases).delete()
    bases.delete()
