"""Reads of the pilot bases: the register, its statistics, the evaluation's inputs and results,
the suggestions for a pilot-test request, the open requests.

For other apps: ``base_grades(year)`` (docs/pilots.md, "For other apps").
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from reviews.choices import ReviewStatus

from . import policies
from .choices import OPEN_REQUEST_STATUSES, BaseStatus, Grade, RequestStatus
from .evaluation import IndicatorSpec, RubricSpec
from .models import (
    BaseEvaluation,
    BaseFund,
    BaseRating,
    BaseStatusChange,
    PerformanceReport,
    PilotBase,
    PilotRequest,
    PilotService,
    Rubric,
)

# --- for other apps ------------------------------------------------------------------------------


def base_grades(year: int) -> dict[str, str]:
    """Base code → grade code (``excellent``, ``good``, ``pass``, ``fail``) of the evaluation of
    ``year``; bases not evaluated that year are absent. One query."""
    return dict(BaseEvaluation.objects.filter(year=year).values_list("base__code", "grade"))


# --- the register --------------------------------------------------------------------------------


def base_list(*, user):
    return (
        PilotBase.objects.for_user(user)
        .select_related("operator")
        .annotate(funds_total=Coalesce(Sum("funds__amount"), Value(Decimal("0.00"))))
    )


def base_detail_queryset(*, user):
    return (
        PilotBase.objects.for_user(user)
        .select_related("operator")
        .prefetch_related(
            "clusters", Prefetch("services", queryset=PilotService.objects.order_by("order", "code"))
        )
    )


def funds_total(base) -> Decimal:
    return base.funds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def status_on(day: datetime.date):
    """SQL for a base's status on ``day``: the last status change effective on or before it
    (a base with no recorded change is active from its designation)."""
    last = (
        BaseStatusChange.objects.filter(base=OuterRef("pk"), effective_on__lte=day)
        .order_by("-effective_on", "-pk")
        .values("status")[:1]
    )
    return Coalesce(Subquery(last), Value(BaseStatus.ACTIVE))


def active_bases(year: int, *, city: str | None = None, cluster: str | None = None):
    """Bases designated in or before ``year`` and active on 31 December of it (docs/pilots.md, "Register and statistics")."""
    bases = (
        PilotBase.objects.filter(designated_year__lte=year)
        .annotate(status_at=status_on(datetime.date(year, 12, 31)))
        .filter(status_at=BaseStatus.ACTIVE)
    )
    if city:
        bases = bases.filter(city=city)
    if cluster:
        bases = bases.filter(
            pk__in=PilotBase.clusters.through.objects.filter(cluster__code=cluster).values("pilotbase_id")
        )
    return bases


def pilot_totals(year: int, *, city: str | None = None, cluster: str | None = None) -> dict:
    """The register's totals of ``year`` (``/api/v1/stats/pilots/``, the dashboard panel)."""
    bases = active_bases(year, city=city, cluster=cluster)
    totals = bases.aggregate(
        bases=Count("pk"),
        site_area_m2=Coalesce(Sum("site_area_m2"), Value(Decimal("0"))),
        equipment_count=Coalesce(Sum("equipment_count"), Value(0), output_field=IntegerField()),
        staff_count=Coalesce(Sum("staff_count"), Value(0), output_field=IntegerField()),
    )
    funds = BaseFund.objects.filter(base__in=bases.values("pk"), year__lte=year).aggregate(
        total=Sum("amount")
    )
    totals["provincial_funds"] = funds["total"] or Decimal("0")
    return totals


def totals_by(year: int, dimension: str) -> list[dict]:
    """Per city (``city``) or per cluster (``cluster``): bases, site area, equipment, staff."""
    bases = active_bases(year)
    if dimension == "city":
        rows = (
            bases.values("city")
            .annotate(
                n=Count("pk"),
                area=Sum("site_area_m2"),
                equipment=Sum("equipment_count"),
                staff=Sum("staff_count"),
            )
            .order_by("city")
        )
        return [{"key": row.pop("city"), **row} for row in rows]
    through = PilotBase.clusters.through.objects.filter(pilotbase__in=bases.values("pk"))
    rows = (
        through.values("cluster__code", "cluster__name")
        .annotate(
            n=Count("pilotbase"),
            area=Sum("pilotbase__site_area_m2"),
            equipment=Sum("pilotbase__equipment_count"),
            staff=Sum("pilotbase__staff_count"),
        )
        .order_by("cluster__code")
    )
    return [{"key": row.pop("cluster__code"), "name": row.pop("cluster__name"), **row} for row in rows]


def accepted_reports():
    """The accepted figures of each base and year: the latest accepted revision (a correction in
    progress does not replace them until it is accepted)."""
    later = PerformanceReport.objects.filter(
        base_id=OuterRef("base_id"),
        year=OuterRef("year"),
        status=ReviewStatus.ACCEPTED,
        revision__gt=OuterRef("revision"),
    )
    return PerformanceReport.objects.filter(status=ReviewStatus.ACCEPTED).exclude(Exists(later))


def utilisation_by_year() -> list[dict]:
    """Mean equipment utilisation and pilot tests of the accepted reports, per year."""
    return list(
        accepted_reports()
        .values("year")
        .annotate(reports=Count("pk"), tests=Sum("pilot_tests"), utilisation=Sum("equipment_utilisation"))
        .order_by("year")
    )


def requests_by_year() -> list[dict]:
    """Per year sent (in the local time zone, like the pages' dates): the requests sent to a base
    and how many of them are completed, ``{"year", "requests", "completed"}`` by year. One query."""
    return list(
        PilotRequest.objects.filter(submitted_at__isnull=False)
        .annotate(year=ExtractYear("submitted_at"))  # in the current time zone (USE_TZ)
        .values("year")
        .annotate(
            requests=Count("pk"),
            completed=Count("pk", filter=Q(status=RequestStatus.COMPLETED)),
        )
        .order_by("year")
    )


# --- reports and evaluation -----------------------------------------------------------------------


def report_list(*, user):
    """The revisions a user may read (``reviews.policies.can_read``): the operator's users all of
    their bases' reports, staff every report that is not a draft."""
    reports = PerformanceReport.objects.select_related("base", "base__operator")
    if policies.can_read_all_reports(user):
        return reports
    if policies.can_review_reports(user):
        return reports.exclude(status=ReviewStatus.DRAFT)
    unit_id = policies.reader_unit(user)
    return reports.filter(base__operator_id=unit_id) if unit_id is not None else reports.none()


def rubric_spec(rubric: Rubric) -> RubricSpec:
    indicators = []
    for indicator in rubric.indicators.prefetch_related("bands").order_by("order", "code"):
        bands = tuple(
            (band.lower, band.points) for band in sorted(indicator.bands.all(), key=lambda b: b.lower)
        )
        indicators.append(
            IndicatorSpec(
                indicator.code, indicator.name, indicator.group, indicator.source, indicator.weight, bands
            )
        )
    return RubricSpec(
        year=rubric.year,
        indicators=tuple(indicators),
        top_share=rubric.top_share,
        excellent_min=rubric.excellent_min,
        good_min=rubric.good_min,
        pass_min=rubric.pass_min,
    )


def evaluation_inputs(year: int) -> list[tuple[PilotBase, dict, dict, dict | None]]:
    """(base, base figures, report figures, rating) of every base with an accepted report for ``year``."""
    reports = accepted_reports().filter(year=year).select_related("base")
    ratings = {
        r["base_id"]: r
        for r in BaseRating.objects.filter(year=year).values("base_id", "management", "reputation")
    }
    result = []
    for report in reports.order_by("base__code"):
        base = report.base
        base_figures = {f: getattr(base, f) for f in ("site_area_m2", "equipment_count", "staff_count")}
        report_figures = {f: getattr(report, f) for f in PerformanceReport.FIGURE_FIELDS}
        result.append((base, base_figures, report_figures, ratings.get(base.pk)))
    return result


def evaluations(year: int):
    return (
        BaseEvaluation.objects.filter(year=year)
        .select_related("base", "base__operator")
        .order_by("rank", "base__code")
    )


def watch_list(year: int) -> list[BaseEvaluation]:
    """Bases graded 不合格 in ``year`` and in the year before: the revocation watch list."""
    failed_before = BaseEvaluation.objects.filter(year=year - 1, grade=Grade.FAIL).values("base_id")
    return list(evaluations(year).filter(grade=Grade.FAIL, base_id__in=failed_before))


# --- requests -------------------------------------------------------------------------------------


def request_list(*, user):
    return PilotRequest.objects.for_user(user).select_related(
        "achievement", "achievement__unit", "base", "base__operator", "service"
    )


def open_requests():
    """Open requests, the longest waiting first (staff's queue)."""
    return (
        PilotRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES)
        .select_related("achievement", "achievement__unit", "base", "service")
        .order_by("submitted_at", "created_at", "pk")
    )


def waiting_days(request, now=None) -> int:
    """Days since the request was sent (or created) until it was answered, or until now."""
    start = request.submitted_at or request.created_at
    end = request.answered_at or now or timezone.now()
    return max(0, (end - start).days)


def suggestions(request, *, limit: int = 5) -> list[dict]:
    """Active bases for a request, ranked: the achievement's cluster served (+3), the service
    offered (+2), the same city as the achievement's unit (+1); ties go to the base with fewer
    open requests, then to the code. Bases matching neither cluster nor service are left out.
    Each suggestion carries the reason as a list of phrases."""
    achievement = request.achievement
    unit_city = achievement.unit.region[:4] + "00"
    open_counts = Count("requests", filter=Q(requests__status__in=OPEN_REQUEST_STATUSES))
    bases = (
        PilotBase.objects.filter(status=BaseStatus.ACTIVE)
        .select_related("operator")
        .prefetch_related("clusters", "services")
        .annotate(open_requests=open_counts)
    )
    ranked = []
    for base in bases:
        cluster_match = achievement.cluster_id is not None and any(
            c.pk == achievement.cluster_id for c in base.clusters.all()
        )
        service_match = any(s.pk == request.service_id for s in base.services.all())
        if not (cluster_match or service_match):
            continue
        points, reasons = 0, []
        if cluster_match:
            points += 3
            reasons.append(("cluster", achievement.cluster.code))
        if service_match:
            points += 2
            reasons.append(("service", request.service.name))
        if base.city == unit_city:
            points += 1
            reasons.append(("city", base.get_city_display()))
        ranked.append(
            {"base": base, "points": points, "reasons": reasons, "open_requests": base.open_requests}
        )
    ranked.sort(key=lambda s: (-s["points"], s["open_requests"], s["base"].code))
    return ranked[:limit]
