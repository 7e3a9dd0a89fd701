"""The annual reports' home cards (core.registry.HomeCard): a unit sees its report's deadline and
state (section "deadlines"); staff see how many reports wait for review (section "review")."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.registry import HomeCard, register
from reviews.choices import WAITING_STATES

from . import policies, selectors
from .models import AnnualReport, ReportCycle


def deadline_context(request):
    return selectors.upcoming_deadline(request.user)


def waiting_context(request):
    counts = dict(
        AnnualReport.objects.filter(status__in=WAITING_STATES)
        .values_list("year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not counts:
        return None
    cycles = {c.year: c for c in ReportCycle.objects.filter(year__in=counts)}
    return {"waiting": [(cycles[year], n) for year, n in sorted(counts.items(), reverse=True) if year in cycles]}


register(
    HomeCard(
        "annual_report_deadline",
        _("年度报告"),
        "reports/home/deadline.html",
        order=10,
        context=deadline_context,
        visible=policies.can_file_reports,
        section="deadlines",
    ),
    HomeCard(
        "annual_reports_waiting",
        _("待审核的年度报告"),
        "reports/home/review.html",
        order=50,
        context=waiting_context,
        visible=policies.can_manage_cycles,
        section="review",
    ),
)
