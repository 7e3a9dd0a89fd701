"""Reads of the annual reports (docs/reports.md): scoped lists, the cycle's overview, and the
``registry`` block — the registry's figures of a unit and year, read through the statistics
selectors so that they equal ``/api/v1/stats/breakdown/?year=Y&unit=U&by=mode``."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff, unit_of
from achievements.choices import TransformationStatus, UnitType
from achievements.models import Transformation, Unit
from dashboards.selectors import Scope, snapshot_status, stats_breakdown
from reviews.choices import ReviewStatus

from . import figures
from .models import AnnualReport, ReportCycle

FILING_UNIT_TYPES = (UnitType.UNIVERSITY, UnitType.INSTITUTE)

# The states of a unit in a cycle: the review states, and "not started" (a draft nobody saved).
NOT_STARTED = "not_started"


def filing_units():
    """The units that must file: universities and institutes that own achievements."""
    return Unit.objects.filter(type__in=FILING_UNIT_TYPES, achievements__isnull=False).distinct().order_by("name")


def registry_block(*, unit: Unit, year: int) -> dict:
    """The ``registry`` block (docs/reports.md, "The registry block") for one unit and year.

    Per mode: ``contracts``, ``amount``, ``received`` of the statistics breakdown by mode (the
    snapshot the statistics job last computed). ``local`` contracts and amount: the breakdown's
    ``local_contracts`` and ``local_amount`` summed over the modes; ``local`` received: the sum of
    ``received`` of the same contracts (effective, signed in Y, local transferee), which the snapshot
    does not hold. ``non_local`` = all modes − local."""
    rows = stats_breakdown(year=year, by="mode", scope=Scope(unit=unit.code))
    block = figures.empty_block()
    local = {"contracts": 0, "amount": Decimal("0.00")}
    for row in rows:
        if row["key"] not in figures.MODES:
            continue
        block[row["key"]] = {
            "contracts": int(row["contracts"]),
            "amount": figures.money(row["amount"]),
            "received": figures.money(row["received"]),
        }
        local["contracts"] += int(row.get("local_contracts") or 0)
        local["amount"] += Decimal(row.get("local_amount") or 0)
    received = Transformation.objects.filter(
        unit=unit,
        status=TransformationStatus.EFFECTIVE,
        signed_on__year=year,
        transferee__is_local=True,
    ).aggregate(total=Sum("received"))["total"]
    total = figures.block_total(block, figures.MODES)
    block["local"] = {
        "contracts": local["contracts"],
        "amount": figures.money(local["amount"]),
        "received": figures.money(received),
    }
    block["non_local"] = {
        "contracts": total["contracts"] - local["contracts"],
        "amount": figures.money(total["amount"] - local["amount"]),
        "received": figures.money(total["received"] - Decimal(received or 0)),
    }
    return block


# --- scoped reads --------------------------------------------------------------------------------


def readable_reports(user):
    """Every revision the user may read: a unit user their unit's; staff all but drafts (a draft
    is the unit's alone). Anything else is 404 at every door."""
    reports = AnnualReport.objects.select_related("unit", "cycle")
    if is_staff(user) and getattr(user, "is_authenticated", False):
        return reports.exclude(status=ReviewStatus.DRAFT)
    unit_id = unit_of(user)
    if unit_id is None:
        return reports.none()
    return reports.filter(unit_id=unit_id)


def current_reports(user):
    """Per unit and year, the latest revision the user may read: the unit its current one; staff
    the latest that is not a draft (while a correction is drafted, the accepted revision before it)."""
    reports = readable_reports(user)
    if unit_of(user) is not None and not is_staff(user):
        return reports.filter(is_current=True)
    newer = AnnualReport.objects.filter(
        unit=OuterRef("unit"), year=OuterRef("year"), revision__gt=OuterRef("revision")
    ).exclude(status=ReviewStatus.DRAFT)
    return reports.exclude(Exists(newer))


def cycle_list():
    """The cycles, newest first, each with ``report_count`` (its reports, every revision)."""
    return ReportCycle.objects.annotate(report_count=Count("reports")).order_by("-year")


def unit_state(report: AnnualReport | None) -> str:
    if report is None:
        return NOT_STARTED
    if report.status == ReviewStatus.DRAFT and report.revision == 1 and report.version == 1:
        return NOT_STARTED
    return report.status


STATE_LABELS = {NOT_STARTED: _("未开始"), **{value: label for value, label in ReviewStatus.choices}}
STATE_ORDER = [NOT_STARTED, *ReviewStatus.values]
LATE_STATES = (NOT_STARTED, ReviewStatus.DRAFT, ReviewStatus.RETURNED)


def cycle_overview(*, cycle: ReportCycle, state: str = "", overdue: bool | None = None, sort: str = "unit") -> list[dict]:
    """One row per filing unit of the cycle: the unit, its current report (if any), its state,
    whether it is overdue (past the deadline and not filed: not started, draft or returned);
    filtered and sorted by ``cycle_rows_selected``."""
    return cycle_rows_selected(_cycle_rows(cycle), state=state, overdue=overdue, sort=sort)


def _cycle_rows(cycle: ReportCycle) -> list[dict]:
    today = timezone.localdate()
    reports = {
        r.unit_id: r
        for r in AnnualReport.objects.filter(cycle=cycle, is_current=True).select_related("unit")
    }
    units = {u.pk: u for u in filing_units()}
    for unit_id, report in reports.items():
        units.setdefault(unit_id, report.unit)
    readable = {
        r.unit_id: r
        for r in AnnualReport.objects.filter(cycle=cycle)
        .exclude(status=ReviewStatus.DRAFT)
        .exclude(Exists(AnnualReport.objects.filter(
            unit=OuterRef("unit"), year=OuterRef("year"), revision__gt=OuterRef("revision")
        ).exclude(status=ReviewStatus.DRAFT)))
    }
    rows = []
    for unit in units.values():
        report = reports.get(unit.pk)
        st = unit_state(report)
        late = today > cycle.deadline and st in LATE_STATES
        rows.append({
            "unit": unit, "report": report, "state": st, "state_label": STATE_LABELS[st], "overdue": late,
            "readable": readable.get(unit.pk),  # what staff may open (never a draft)
        })
    return rows


def cycle_rows_selected(rows: list[dict], *, state: str = "", overdue: bool | None = None, sort: str = "unit") -> list[dict]:
    """The rows of ``cycle_overview`` in one state and/or (not) overdue, sorted by a ``CYCLE_SORTS``
    key (``-`` first: descending); a new list, ``rows`` is left as it is."""
    if state:
        rows = [row for row in rows if row["state"] == state]
    if overdue is not None:
        rows = [row for row in rows if row["overdue"] == overdue]
    keys = {
        "unit": lambda r: r["unit"].name,
        "state": lambda r: (STATE_ORDER.index(r["state"]), r["unit"].name),
        "overdue": lambda r: (not r["overdue"], r["unit"].name),
        "updated": lambda r: (r["report"].updated_at.timestamp() if r["report"] else 0, r["unit"].name),
    }
    name = sort.lstrip("-")
    return sorted(rows, key=keys.get(name, keys["unit"]), reverse=sort.startswith("-"))


CYCLE_SORTS = ("unit", "state", "overdue", "updated")


def late_unit_ids(cycle: ReportCycle) -> list[int]:
    return [row["unit"].pk for row in cycle_overview(cycle=cycle) if row["state"] in LATE_STATES]


def latest_accepted(cycle: ReportCycle) -> list[AnnualReport]:
    """Per unit, its newest accepted revision (a correction under review leaves the last accepted one)."""
    seen, result = set(), []
    for report in (
        AnnualReport.objects.filter(cycle=cycle, status=ReviewStatus.ACCEPTED)
        .select_related("unit")
        .order_by("unit__name", "-revision")
    ):
        if report.unit_id not in seen:
            seen.add(report.unit_id)
            result.append(report)
    return result


def upcoming_deadline(user) -> dict | None:
    """For a unit user: the open cycle's deadline and their report's state (home card)."""
    unit_id = unit_of(user)
    if unit_id is None or is_staff(user):
        return None
    report = (
        AnnualReport.objects.filter(unit_id=unit_id, is_current=True)
        .select_related("cycle")
        .order_by("-year")
        .first()
    )
    if report is None:
        return None
    st = unit_state(report)
    return {
        "report": report,
        "cycle": report.cycle,
        "state": st,
        "state_label": STATE_LABELS[st],
        "overdue": timezone.localdate() > report.cycle.deadline and st in LATE_STATES,
        "days_left": (report.cycle.deadline - timezone.localdate()).days,
    }


def filed_reports(*, year: int, unit_code: str | None = None, unit_type: str | None = None,
                  region_prefix: str | None = None):
    """The current filed revision (submitted, resubmitted or accepted) of each unit's report of
    ``year``; a correction still in draft leaves its accepted predecessor. ``unit_type`` and
    ``region_prefix`` (a division code's prefix) narrow the units as the dashboard's filters do."""
    reports = AnnualReport.objects.filter(year=year).exclude(status__in=(ReviewStatus.DRAFT, ReviewStatus.RETURNED))
    if unit_code:
        reports = reports.filter(unit__code=unit_code)
    if unit_type:
        reports = reports.filter(unit__type=unit_type)
    if region_prefix:
        reports = reports.filter(unit__region__startswith=region_prefix)
    seen, result = set(), []
    for report in reports.select_related("unit").order_by("unit_id", "-revision"):
        if report.unit_id not in seen:
            seen.add(report.unit_id)
            result.append(report)
    return result


def registry_freshness_warning() -> str | None:
    """A warning when the statistics the registry block reads are missing or behind the records
    (the block then shows the last computed figures; refresh the reports after a recompute)."""
    status = snapshot_status()
    if status["version"] is None:
        return str(_("统计数据尚未计算：预填的成果库数据为 0。请运行 recompute_stats 后在各报告中“重新读取成果库数据”。"))
    if status["stale"] or status["pending"]:
        return str(_("统计数据有待更新：预填的成果库数据为 %(at)s 的计算结果。") % {"at": status["computed_at"].strftime("%Y-%m-%d %H:%M")})
    return None
