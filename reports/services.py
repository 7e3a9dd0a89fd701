"""Writes of the annual reports (docs/reports.md). The review workflow's writes (lock, version,
state, log, comments, notification) are ``reviews.services``; these add the report's own acts:
opening a cycle, creating a unit's report, saving figures, refreshing the registry block and
sending reminders. Every door — pages, API, commands, the demo seeder — calls these."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements.models import Unit
from notifications.services import notify
from reviews import services as review_services
from reviews.choices import ReviewStatus

from . import events, policies, selectors
from .models import AnnualReport, ReportCycle, check_report_year

# The fields a unit may change on its draft (pages and API); the registry block is never one.
EDITABLE_FIELDS = (
    "reported",
    "explanations",
    "sme_contracts",
    "sme_amount",
    "sme_received",
    "service_contracts",
    "service_amount",
    "service_received",
    "fiscal_transformed",
    "companies",
    "venture_staff",
    "net_income",
    "reward_cash",
    "reward_equity",
    "rewarded_people",
    "team_share_explanation",
    "tto_exists",
    "tto_staff",
    "tto_managers",
    "typical_cases",
    "problems",
)


def default_deadline(year: int) -> datetime.date:
    """The national filing window closes about the end of May of the next year."""
    return datetime.date(year + 1, 5, 31)


def _new_report(*, cycle: ReportCycle, unit: Unit, synthetic: bool = False) -> AnnualReport:
    block = selectors.registry_block(unit=unit, year=cycle.year)
    report = AnnualReport(
        cycle=cycle,
        unit=unit,
        year=cycle.year,
        registry=block,
        reported=block,
        registry_read_at=timezone.now(),
        synthetic=synthetic,
    )
    report.full_clean()
    report.save()
    return report


def cycle_open(
    *, year: int, deadline: datetime.date | None = None, acting_user, synthetic: bool = False
) -> tuple[ReportCycle, int]:
    """Open (or re-open) the cycle of ``year``: a draft report, prefilled from the registry, for
    every filing unit that has none yet; the units' users are told. Running it again adds the
    units that appeared since and changes the deadline if one is given. Returns the cycle and the
    number of reports created."""
    if not policies.can_manage_cycles(acting_user) and acting_user is not None:
        raise PermissionDenied(_("只有厅工作人员可以开启填报周期。"))
    check_report_year(year)  # before the default deadline is built from it
    with transaction.atomic():
        cycle = ReportCycle.objects.select_for_update().filter(year=year).first()
        if cycle is None:
            cycle = ReportCycle(year=year, deadline=deadline or default_deadline(year), synthetic=synthetic)
            cycle.opened_by = acting_user
        elif deadline is not None:
            cycle.deadline = deadline
        cycle.full_clean(validate_unique=False)
        cycle.save()
        have = set(AnnualReport.objects.filter(year=year).values_list("unit_id", flat=True))
        created = 0
        for unit in selectors.filing_units():
            if unit.pk in have:
                continue
            report = _new_report(cycle=cycle, unit=unit, synthetic=synthetic)
            notify(
                event=events.CYCLE_OPENED,
                obj=report,
                actor=acting_user,
                context={"year": year, "deadline": cycle.deadline.isoformat()},
            )
            created += 1
    return cycle, created


def report_create(*, unit: Unit, year: int, acting_user) -> AnnualReport:
    """A unit's report for a year of an open cycle when it has none (e.g. a unit that owned no
    achievement when the cycle opened). A unit and year with a report — accepted or not — gets no
    second one: an accepted report can only be revised."""
    if not policies.can_create_report(acting_user, unit.pk) and acting_user is not None:
        raise PermissionDenied(_("只能为本单位填报。"))
    check_report_year(year)
    cycle = ReportCycle.objects.filter(year=year).first()
    if cycle is None:
        raise ValidationError({"year": _("报告年度：%(year)s年度的填报周期尚未开启。") % {"year": year}})
    existing = AnnualReport.objects.filter(unit=unit, year=year, is_current=True).first()
    if existing is not None:
        if existing.status == ReviewStatus.ACCEPTED:
            message = _("报告年度：该单位%(year)s年度报告已通过，只能发起更正（新修订版）。")
        else:
            message = _("报告年度：该单位%(year)s年度报告已存在，请修改已有的报告。")
        raise ValidationError({"year": message % {"year": year}})
    try:
        with transaction.atomic():
            return _new_report(cycle=cycle, unit=unit)
    except IntegrityError:  # created by someone else in between
        raise ValidationError({"year": _("报告年度：该单位该年度报告已存在。")}) from None


def report_update(*, report: AnnualReport, acting_user, changes: dict, expected_version: int | None) -> AnnualReport:
    """Save the unit's figures and texts on its draft (or returned) report. ``changes`` are the
    already-parsed values of ``EDITABLE_FIELDS``; the shape checks run on every save
    (``AnnualReport.clean``), the full checks on submit."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改的字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    explanations = changes.get("explanations")
    if explanations is not None:
        changes["explanations"] = {k: str(v).strip() for k, v in explanations.items() if str(v).strip()}
    return review_services.document_update(
        document=report, acting_user=acting_user, changes=changes, expected_version=expected_version
    )


def report_refresh_registry(*, report: AnnualReport, acting_user, expected_version: int | None) -> AnnualReport:
    """Read the registry block again (while the report can still be edited). The unit's reported
    figures that equalled the old block follow the new one; those it changed stay as typed."""
    block = selectors.registry_block(unit=report.unit, year=report.year)
    old = report.registry or {}
    reported = {part: dict(values) for part, values in (report.reported or {}).items()}
    for part, values in block.items():
        for figure, value in values.items():
            if reported.get(part, {}).get(figure) == old.get(part, {}).get(figure):
                reported.setdefault(part, {})[figure] = value
    with transaction.atomic():
        current = review_services.document_update(
            document=report, acting_user=acting_user, changes={"reported": reported}, expected_version=expected_version
        )
        AnnualReport.objects.filter(pk=current.pk).update(registry=block, registry_read_at=timezone.now())
        current.refresh_from_db()
    return current


def report_transition(*, report: AnnualReport, action: str, acting_user, expected_version=None, note="", comments=()):
    return review_services.document_transition(
        document=report,
        action=action,
        acting_user=acting_user,
        expected_version=expected_version,
        note=note,
        comments=comments,
    )


def report_revise(
    *, report: AnnualReport, acting_user, expected_version: int | None = None, note: str = ""
) -> AnnualReport:
    return review_services.document_revise(
        document=report, acting_user=acting_user, expected_version=expected_version, note=note
    )


def reminders_send(*, cycle: ReportCycle, acting_user) -> int:
    """Remind every late unit of the cycle (not started, draft or returned): a notification and,
    unless its users opted out, an e-mail. Returns the number of units reminded."""
    if not policies.can_manage_cycles(acting_user) and acting_user is not None:
        raise PermissionDenied(_("只有厅工作人员可以催报。"))
    reports = {
        r.unit_id: r for r in AnnualReport.objects.filter(cycle=cycle, is_current=True).select_related("unit")
    }
    count = 0
    with transaction.atomic():
        for unit_id in selectors.late_unit_ids(cycle):
            notify(
                event=events.REMINDER,
                obj=reports.get(unit_id),
                unit=unit_id,
                actor=acting_user,
                context={"year": cycle.year, "deadline": cycle.deadline.isoformat()},
            )
            count += 1
    return count
