"""Pages of the annual reports (docs/reports.md), on the generic pages of ``core.ui`` and the
review pages of ``reviews``. Every page reads through ``selectors`` (a report the user may not
read is 404) and writes through ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import numbers
from core.ui.views import ButtonActionView, DetailView, EditView, ListView, PageView
from reviews import views as review_views
from reviews.choices import ReviewAction

from . import checks, exports, figures, policies, selectors, services
from .filtersets import AnnualReportFilterSet, CycleOverviewParameters
from .forms import ConfirmForm, CycleOpenForm, ReportForm
from .models import ReportCycle
from .tables import AnnualReportTable


class ReportScoped:
    context_object_name = "report"

    def get_queryset(self):
        return selectors.readable_reports(self.request.user)


# --- the unit's and the reviewer's list ----------------------------------------------------------


class ReportList(ListView):
    filterset_class = AnnualReportFilterSet
    table_class = AnnualReportTable
    filter_fields = ("year", "status")
    title = gettext_lazy("年度报告")
    search_placeholder = gettext_lazy("单位名称")

    def allowed(self, user):
        return policies.can_see_reports(user)

    def get_queryset(self):
        return selectors.current_reports(self.request.user)


# --- one report ------------------------------------------------------------------------------------


def report_context(report, user) -> dict:
    return {
        "figure_rows": _figure_rows(report),
        "sections": _sections(report),
        "team_share": checks.team_share(report),
        "minimum_team_share": checks.minimum_team_share(report.year),
        "team_share_warning": checks.team_share_warning(report),
        "can_edit": policies.can_edit_report(user, report),
        **review_views.review_context(report, user),
    }


def _sections(report):
    sections = []
    for key, title, names in figures.SECTIONS:
        rows = [(report._meta.get_field(n).verbose_name, getattr(report, n), n) for n in names]
        share = checks.team_share(report)
        if key == "rewards" and share is not None:
            minimum = checks.minimum_team_share(report.year)
            rows.append((
                _("现金奖励占转让、许可净收入比例"),
                _("%(share)s（法定最低 %(minimum)s）") % {"share": numbers.percent(share), "minimum": f"{minimum * 100:.0f}%"},
                "team_share",
            ))
        sections.append((title, rows))
    return sections


def _figure_text(value, figure) -> str:
    """A figure as the page shows it (docs/numbers.md): contracts counted, amounts in 元; a value
    that is no number (a draft's typo kept as typed) as it is."""
    try:
        return numbers.count(value) if figure == "contracts" else numbers.yuan(value)
    except ValueError:
        return str(value)


def _figure_rows(report):
    rows = []
    for part in figures.PARTS:
        for figure in figures.FIGURES:
            key = f"reported.{part}.{figure}"
            registry = (report.registry or {}).get(part, {}).get(figure)
            reported = (report.reported or {}).get(part, {}).get(figure)
            rows.append({
                "key": key,
                "label": figures.key_label(part, figure),
                "registry": registry,
                "reported": reported,
                "registry_text": _figure_text(registry, figure),
                "reported_text": _figure_text(reported, figure),
                "differs": not checks.same_figure(registry, reported, figure),
                "explanation": (report.explanations or {}).get(key, ""),
            })
    return rows


class ReportDetail(ReportScoped, DetailView):
    template_name = "reports/report_detail.html"
    show_history = False

    def get_context_data(self, report, context):
        context.update(report_context(report, self.request.user))
        return context


class ReportPrint(ReportDetail):
    """The printable page (A4, Chinese layout), like the dashboard's print view."""

    template_name = "reports/report_print.html"


class ReportXlsx(ReportScoped, PageView):
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        return exports.report_workbook(self.get_object())


class ReportEdit(ReportScoped, EditView):
    """The unit fills its draft (or returned) report; a stale version is 409."""

    form_class = ReportForm
    template_name = "reports/report_form.html"

    def object_allowed(self, user, report):
        return policies.is_report_owner(user, report)

    def get_form(self, data, report):
        return self.form_class(data, instance=report, user=self.request.user)

    def handle(self, request):
        report = self.get_object()
        if report.is_locked:
            messages.error(request, _("%(state)s的报告已锁定，不能修改。") % {"state": report.get_status_display()})
            return redirect(report)
        return super().handle(request)

    def save(self, form, report):
        return services.report_update(
            report=report,
            acting_user=self.request.user,
            changes=form.changes(),
            expected_version=form.cleaned_data["version"],
        )

    def success_message(self, report, created):
        return _("草稿已保存。提交前请核对与成果库数据的差异并填写说明。")

    def get_context_data(self, form, report, context):
        context.update(review_views.review_context(report, self.request.user) if report else {})
        context["team_share_warning"] = checks.team_share_warning(report) if report else None
        return context


class ReportRefresh(ReportScoped, ButtonActionView):
    """"Refresh from registry": re-read the registry block while the report can be edited."""

    form_class = ConfirmForm

    def object_allowed(self, user, report):
        return policies.is_report_owner(user, report)

    def refusal(self, report):
        if report.is_locked:
            return _("只有草稿或被退回的报告可以重新读取成果库数据。")
        return None

    def get_form(self, data, report):
        return self.form_class(data)

    def perform(self, report, data):
        services.report_refresh_registry(report=report, acting_user=self.request.user, expected_version=data["version"])

    def success_message(self, report, data):
        return _("已重新读取成果库数据；您改动过的填报数保持不变。")


# --- the review pages (reviews' generic views) ----------------------------------------------------


class ReportSubmit(ReportScoped, review_views.TransitionView):
    action = ReviewAction.SUBMIT


class ReportResubmit(ReportScoped, review_views.TransitionView):
    action = ReviewAction.RESUBMIT


class ReportAccept(ReportScoped, review_views.TransitionView):
    action = ReviewAction.ACCEPT


class ReportReturn(ReportScoped, review_views.ReturnView):
    pass


class ReportRevise(ReportScoped, review_views.ReviseView):
    pass


class ReportRevisions(ReportScoped, review_views.RevisionListView):
    pass


class ReportDiff(ReportScoped, review_views.DiffView):
    pass


# --- the cycle (staff) -------------------------------------------------------------------------------


class StaffPage(PageView):
    def allowed(self, user):
        return policies.can_manage_cycles(user)


class CycleList(StaffPage):
    http_method_names = ["get", "head", "post"]

    def get(self, request, *args, **kwargs):
        return self.page(CycleOpenForm())

    def post(self, request, *args, **kwargs):
        form = CycleOpenForm(request.POST)
        if form.is_valid():
            try:
                cycle, created = services.cycle_open(
                    year=form.cleaned_data["year"], deadline=form.cleaned_data["deadline"], acting_user=request.user
                )
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("已开启%(cycle)s填报，新建报告 %(n)s 份。") % {"cycle": cycle, "n": created})
                warning = selectors.registry_freshness_warning()
                if warning:
                    messages.warning(request, warning)
                return redirect(cycle)
        return self.page(form, status=400)

    def page(self, form, status=200):
        cycles = selectors.cycle_list()
        return render(request=self.request, template_name="reports/cycle_list.html",
                      context={"cycles": cycles, "form": form}, status=status)


class CycleDetail(StaffPage):
    """Each filing unit's state in the cycle: filter by state or overdue, sort; remind the late."""

    http_method_names = ["get", "head"]

    def get(self, request, year):
        cycle = get_object_or_404(ReportCycle, year=year)
        parameters = CycleOverviewParameters(request.GET)
        errors = [] if parameters.is_valid() else parameters.errors_by_parameter()
        chosen = parameters.cleaned_data if not errors else {}
        state, overdue = chosen.get("state", ""), chosen.get("overdue")
        sort = chosen.get("sort") or "unit"
        everything = selectors.cycle_overview(cycle=cycle)  # once: the rows and the counts
        rows = [] if errors else selectors.cycle_rows_selected(everything, state=state, overdue=overdue, sort=sort)
        counts = {key: 0 for key in selectors.STATE_ORDER}
        for row in everything:
            counts[row["state"]] += 1
        context = {
            "cycle": cycle,
            "rows": rows,
            "filter_errors": errors,
            "state": state,
            "overdue": {True: "1", False: "0"}.get(overdue, ""),
            "sort": sort,
            "states": [(key, selectors.STATE_LABELS[key], counts[key]) for key in selectors.STATE_ORDER],
            "late": sum(1 for row in everything if row["state"] in selectors.LATE_STATES),
            "overdue_count": sum(1 for row in everything if row["overdue"]),
            "total": len(everything),
            "sorts": selectors.CYCLE_SORTS,
        }
        return render(request, "reports/cycle_detail.html", context, status=400 if errors else 200)


class CycleRemind(StaffPage):
    http_method_names = ["post"]

    def post(self, request, year):
        cycle = get_object_or_404(ReportCycle, year=year)
        count = services.reminders_send(cycle=cycle, acting_user=request.user)
        messages.success(request, _("已向 %(n)s 个未提交的单位发送催报通知和邮件。") % {"n": count})
        return redirect(cycle)


class CycleExport(StaffPage):
    """The province-wide workbook of the cycle's accepted reports, with totals."""

    http_method_names = ["get", "head"]

    def get(self, request, year):
        cycle = get_object_or_404(ReportCycle, year=year)
        return exports.cycle_workbook(cycle, selectors.latest_accepted(cycle))

