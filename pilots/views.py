"""Pages of the pilot bases: declarations on the shared page machinery (``core.ui``). Who may do
what is asked of ``pilots.policies``; the services check it again on every write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.ui.views import ActionView, ButtonActionView, DetailView, EditView, ListView, PageView
from core.validators import LIAONING_CITIES
from reviews import policies as review_policies
from reviews import views as review_views
from reviews.choices import ReviewAction

from . import policies, selectors, services
from .choices import Grade, RequestStatus
from .filtersets import PilotBaseFilterSet, PilotRequestFilterSet, ReportFilterSet
from .forms import (
    BandsForm,
    BaseStatusForm,
    CompleteForm,
    DeclineForm,
    FundForm,
    PilotBaseForm,
    RatingForm,
    ReportForm,
    RequestForm,
    RubricForm,
    SendForm,
    StartForm,
    VersionForm,
    YearForm,
    default_year,
)
from .models import BaseEvaluation, Rubric, RubricIndicator
from .tables import PilotBaseTable, PilotRequestTable, ReportTable

# --- the register ---------------------------------------------------------------------------------


class BaseList(ListView):
    filterset_class = PilotBaseFilterSet
    table_class = PilotBaseTable
    template_name = "pilots/base_list.html"
    filter_fields = ("city", "cluster", "status", "designated_year")
    title = gettext_lazy("中试基地")
    search_placeholder = gettext_lazy("基地名称或编号")
    export_name = gettext_lazy("中试基地导出")
    export_url_names = {"xlsx": "pilots:base_export_xlsx", "csv": "pilots:base_export_csv"}

    def get_queryset(self):
        return selectors.base_list(user=self.request.user)

    def get_context_data(self, **context):
        rows = selectors.totals_by(default_year() + 1, "city")
        top = max((row["n"] for row in rows), default=0)
        context["city_chart"] = [
            {
                "code": row["key"],
                "name": LIAONING_CITIES.get(row["key"], row["key"]),
                "n": row["n"],
                "max": top,
            }
            for row in rows
        ]
        context["can_create"] = policies.can_manage_register(self.request.user)
        return context


class BaseDetail(DetailView):
    template_name = "pilots/base_detail.html"
    context_object_name = "base"

    def get_queryset(self):
        return selectors.base_detail_queryset(user=self.request.user)

    def get_context_data(self, base, context):
        user = self.request.user
        return {
            **context,
            "funds": base.funds.order_by("year"),
            "funds_total": selectors.funds_total(base),
            "status_changes": base.status_changes.select_related("recorded_by").order_by(
                "-effective_on", "-pk"
            ),
            "reports": base.reports.order_by("-year"),
            "evaluations": base.evaluations.order_by("-year"),
            "can_edit": policies.can_edit_base(user, base),
            "can_manage": policies.can_manage_register(user),
            "can_file": policies.can_file_report(user, base),
        }


class BaseEdit(EditView):
    form_class = PilotBaseForm
    template_name = "pilots/base_form.html"
    context_object_name = "base"
    denied_message = policies.MSG_NOT_OPERATOR

    def allowed(self, user):
        return not self.creates or policies.can_manage_register(user)

    def object_allowed(self, user, base):
        return policies.can_edit_base(user, base)

    def get_queryset(self):
        return selectors.base_detail_queryset(user=self.request.user)

    def save(self, form, base):
        if base is None:
            return services.base_create(acting_user=self.request.user, **form.service_fields())
        return services.base_update(
            base=base,
            acting_user=self.request.user,
            expected_version=form.cleaned_data["version"],
            **form.service_fields(),
        )


class BaseStatusChange(ActionView):
    form_class = BaseStatusForm
    confirm_template = "pilots/base_status.html"
    context_object_name = "base"
    denied_message = policies.MSG_STAFF_ONLY

    def allowed(self, user):
        return policies.can_manage_register(user)

    def get_queryset(self):
        return selectors.base_list(user=self.request.user)

    def perform(self, base, data):
        services.base_set_status(
            base=base,
            acting_user=self.request.user,
            status=data["status"],
            effective_on=data["effective_on"],
            reason=data["reason"],
            expected_version=data["version"],
        )

    def success_message(self, base, data):
        return _("基地状态已变更。")


class BaseFundRecord(ActionView):
    form_class = FundForm
    confirm_template = "pilots/base_fund.html"
    context_object_name = "base"
    denied_message = policies.MSG_STAFF_ONLY

    def allowed(self, user):
        return policies.can_manage_register(user)

    def get_form(self, data, obj):
        return self.form_class(data)

    def get_queryset(self):
        return selectors.base_list(user=self.request.user)

    def perform(self, base, data):
        services.fund_record(
            base=base,
            year=data["year"],
            amount=data["amount"],
            note=data["note"],
            acting_user=self.request.user,
        )

    def success_message(self, base, data):
        return _("省级资金已登记。")


class BaseRatingRecord(BaseFundRecord):
    form_class = RatingForm
    confirm_template = "pilots/base_rating.html"

    def perform(self, base, data):
        services.rating_save(
            base=base,
            year=data["year"],
            management=data["management"],
            reputation=data["reputation"],
            note=data["note"],
            acting_user=self.request.user,
        )

    def get_context_data(self, base, context):
        context["ratings"] = base.ratings.order_by("-year")
        return context

    def success_message(self, base, data):
        return _("评定已保存。")


# --- performance reports ----------------------------------------------------------------------------


class ReportList(ListView):
    filterset_class = ReportFilterSet
    table_class = ReportTable
    filter_fields = ("year", "base", "status")
    title = gettext_lazy("中试基地绩效报告")

    def get_queryset(self):
        return selectors.report_list(user=self.request.user)


class ReportScoped:
    context_object_name = "report"

    def get_queryset(self):
        return selectors.report_list(user=self.request.user)


class ReportDetail(ReportScoped, DetailView):
    template_name = "pilots/report_detail.html"
    show_history = False  # the review log and the revisions are its history

    def get_context_data(self, report, context):
        user = self.request.user
        return {
            **context,
            **review_views.review_context(report, user),
            "tested": report.achievements.select_related("unit").order_by("ref"),
            "can_edit": review_policies.can_edit(report, user),
        }


class ReportEdit(ReportScoped, EditView):
    form_class = ReportForm
    template_name = "pilots/report_form.html"
    denied_message = policies.MSG_NOT_OPERATOR

    def dispatch(self, request, *args, **kwargs):
        self.base = None
        if self.creates and request.user.is_authenticated:
            self.base = get_object_or_404(selectors.base_list(user=request.user), pk=kwargs["pk"])
            if not policies.can_file_report(request.user, self.base):
                raise PermissionDenied(self.denied_message)
        return super().dispatch(request, *args, **kwargs)

    def object_allowed(self, user, report):
        return review_policies.can_edit(report, user)

    def get_context_data(self, form, obj, context):
        context["base"] = self.base or (obj.base if obj else None)
        return context

    def save(self, form, report):
        fields = form.service_fields()
        tested = fields.pop("achievements")
        if report is None:
            return services.report_create(
                base=self.base, acting_user=self.request.user, achievements=tested, **fields
            )
        return services.report_update(
            report=report,
            acting_user=self.request.user,
            expected_version=form.cleaned_data["version"],
            achievements=tested,
            **fields,
        )


class ReportSubmit(ReportScoped, review_views.TransitionView):
    action = ReviewAction.SUBMIT


class ReportResubmit(ReportScoped, review_views.TransitionView):
    action = ReviewAction.RESUBMIT


class ReportAccept(ReportScoped, review_views.TransitionView):
    action = ReviewAction.ACCEPT


class ReportReturn(ReportScoped, review_views.ReturnView):
    pass


class ReportRevise(ReportScoped, review_views.ReviseView):
    def perform(self, document, data):
        self.revised = services.report_revise(
            report=document, acting_user=self.request.user, expected_version=data["version"],
            note=data.get("note") or "",
        )


class ReportRevisions(ReportScoped, review_views.RevisionListView):
    pass


class ReportDiff(ReportScoped, review_views.DiffView):
    pass


# --- the rubric and the evaluation -------------------------------------------------------------------


class StaffOnly:
    denied_message = policies.MSG_STAFF_ONLY

    def allowed(self, user):
        return policies.can_manage_register(user)


class EvaluationList(PageView):
    """The evaluation of a year: every base's score, rank and grade, and the watch list."""

    http_method_names = ["get", "head", "post"]

    def _year(self, data) -> int | None:
        form = YearForm(data)
        return form.cleaned_data["year"] if form.is_valid() else None

    def get(self, request):
        raw = request.GET.get("year")
        year = self._year({"year": raw}) if raw else default_year()
        if year is None:
            return render(request, "pilots/evaluation_list.html", {"year_error": True}, status=400)
        rubric = Rubric.objects.filter(year=year).first()
        return render(
            request,
            "pilots/evaluation_list.html",
            {
                "year": year,
                "rubric": rubric,
                "evaluations": selectors.evaluations(year),
                "watch_list": selectors.watch_list(year),
                "can_manage": policies.can_manage_register(request.user),
                "grades": Grade,
            },
        )

    def post(self, request):
        if not policies.can_manage_register(request.user):
            raise PermissionDenied(policies.MSG_STAFF_ONLY)
        year = self._year(request.POST)
        if year is None:
            messages.error(request, _("年度：请填写1985年至今年之间的年份。"))
            return redirect("pilots:evaluation_list")
        try:
            done = services.evaluate_year(year=year, acting_user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已评价%(n)s个基地。") % {"n": len(done)})
        return redirect(f"{request.path}?year={year}")


class EvaluationDetail(DetailView):
    template_name = "pilots/evaluation_detail.html"
    context_object_name = "evaluation"
    show_history = False

    def get_queryset(self):
        return BaseEvaluation.objects.select_related("base", "rubric")


class RubricDetail(StaffOnly, DetailView):
    template_name = "pilots/rubric_detail.html"
    context_object_name = "rubric"

    def get_queryset(self):
        return Rubric.objects.all()

    def get_context_data(self, rubric, context):
        return {
            **context,
            "indicators": rubric.indicators.prefetch_related("bands").order_by("order", "code"),
            "problems": services.rubric_problems(rubric),
        }


class RubricEdit(StaffOnly, EditView):
    form_class = RubricForm
    template_name = "pilots/rubric_form.html"
    context_object_name = "rubric"

    def get_queryset(self):
        return Rubric.objects.all()

    def save(self, form, rubric):
        return services.rubric_update(
            rubric=rubric,
            acting_user=self.request.user,
            expected_version=form.cleaned_data["version"],
            **form.service_fields(),
        )


class RubricForYear(StaffOnly, PageView):
    """POST: the rubric of a year (copied from the year before, or the shipped default)."""

    http_method_names = ["post"]

    def post(self, request):
        form = YearForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("年度：请填写1985年至今年之间的年份。"))
            return redirect("pilots:evaluation_list")
        rubric = services.rubric_for_year(year=form.cleaned_data["year"], acting_user=request.user)
        return redirect(rubric)


class IndicatorEdit(StaffOnly, EditView):
    """An indicator's range table and weight (a new version of the year's rubric); back to the rubric."""

    form_class = BandsForm
    template_name = "pilots/indicator_form.html"
    context_object_name = "indicator"

    def get_queryset(self):
        return RubricIndicator.objects.select_related("rubric")

    def get_form(self, data, indicator):
        initial = {
            "version": indicator.rubric.version,
            "weight": indicator.weight,
            "bands": "\n".join(
                f"{b.lower.normalize():f}: {b.points.normalize():f}" for b in indicator.bands.all()
            ),
        }
        return self.form_class(data, initial=initial)

    def save(self, form, indicator):
        return services.band_set(
            indicator=indicator,
            bands=form.cleaned_data["bands"],
            weight=form.cleaned_data["weight"],
            acting_user=self.request.user,
            expected_version=form.cleaned_data["version"],
        )

    def success_message(self, rubric, created):
        return _("分档已保存。")

    def get_context_data(self, form, indicator, context):
        context["rubric"] = indicator.rubric
        return context


# --- pilot-test requests -------------------------------------------------------------------------------


class RequestList(ListView):
    filterset_class = PilotRequestFilterSet
    table_class = PilotRequestTable
    template_name = "pilots/request_list.html"
    filter_fields = ("status", "base")
    title = gettext_lazy("中试申请")
    search_fields = ()

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)

    def get_context_data(self, **context):
        context["can_create"] = policies.can_request(self.request.user)
        context["can_queue"] = policies.can_see_request_queue(self.request.user)
        return context


class RequestQueue(StaffOnly, PageView):
    """Staff: the open requests, the longest waiting first, with the days each has waited."""

    http_method_names = ["get", "head"]

    def get(self, request):
        now = timezone.now()
        rows = [(r, selectors.waiting_days(r, now)) for r in selectors.open_requests()]
        return render(request, "pilots/request_queue.html", {"rows": rows})


class RequestCreate(EditView):
    form_class = RequestForm
    template_name = "pilots/request_form.html"
    context_object_name = "request_obj"
    creates = True
    denied_message = policies.MSG_NOT_REQUESTER

    def allowed(self, user):
        return policies.can_request(user)

    def get_form(self, data, obj):
        initial = {"achievement": self.request.GET.get("achievement")}
        return self.form_class(data, user=self.request.user, initial=initial)

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)

    def save(self, form, obj):
        return services.request_create(acting_user=self.request.user, **form.service_fields())

    def success_message(self, obj, created):
        return _("中试申请已提交，请从推荐的基地中选择一个发送。")


class RequestDetail(DetailView):
    template_name = "pilots/request_detail.html"
    context_object_name = "pilot_request"

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)

    def get_context_data(self, pilot_request, context):
        user = self.request.user
        requester = policies.can_act_as_requester(user, pilot_request)
        operator = pilot_request.base_id is not None and policies.can_act_as_operator(user, pilot_request)
        waiting = pilot_request.status == RequestStatus.SUBMITTED and not pilot_request.base_id
        return {
            **context,
            "is_requester": requester,
            "is_operator": operator,
            "suggestions": selectors.suggestions(pilot_request) if waiting and requester else [],
            "waiting_days": selectors.waiting_days(pilot_request),
            "statuses": RequestStatus,
            "complete_form": CompleteForm(initial={"version": pilot_request.version}),
            "start_form": StartForm(initial={"version": pilot_request.version}),
        }


class RequestAct(ButtonActionView):
    """One-button steps of a request (send to a base, accept, cancel)."""

    form_class = VersionForm
    context_object_name = "pilot_request"
    step = ""

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)

    def get_form(self, data, obj):
        return (SendForm if self.step == "send" else VersionForm)(data)

    def object_allowed(self, user, request):
        if self.step in ("send", "cancel"):
            return policies.can_act_as_requester(user, request)
        return policies.can_act_as_operator(user, request)

    def perform(self, request, data):
        user, version = self.request.user, data["version"]
        if self.step == "send":
            services.request_send(
                request=request, base=data["base"], acting_user=user, expected_version=version
            )
        elif self.step == "accept":
            services.request_answer(request=request, accept=True, acting_user=user, expected_version=version)
        elif self.step == "cancel":
            services.request_cancel(request=request, acting_user=user, expected_version=version)

    def success_message(self, request, data):
        return {"send": _("申请已发送至基地。"), "accept": _("已受理。"), "cancel": _("申请已撤销。")}[
            self.step
        ]


class RequestStep(ActionView):
    """Steps of a request with a form: decline (reason), start (date), complete (outcome, TRL)."""

    context_object_name = "pilot_request"
    confirm_template = "pilots/request_step.html"
    step = ""
    forms = {"decline": DeclineForm, "start": StartForm, "complete": CompleteForm}
    titles = {
        "decline": gettext_lazy("拒绝中试申请"),
        "start": gettext_lazy("开始中试"),
        "complete": gettext_lazy("完成中试"),
    }

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)

    def get_form(self, data, obj):
        return self.forms[self.step](data, initial={"version": obj.version})

    def object_allowed(self, user, request):
        return request.base_id is not None and policies.can_act_as_operator(user, request)

    def get_context_data(self, obj, context):
        context["title"] = self.titles[self.step]
        return context

    def perform(self, request, data):
        user, version = self.request.user, data["version"]
        if self.step == "decline":
            services.request_answer(
                request=request,
                accept=False,
                reason=data["reason"],
                acting_user=user,
                expected_version=version,
            )
        elif self.step == "start":
            services.request_start(
                request=request, on=data["started_on"], acting_user=user, expected_version=version
            )
        else:
            services.request_complete(
                request=request,
                on=data["completed_on"],
                outcome=data["outcome"],
                note=data["note"],
                trl_after=data["trl_after"],
                acting_user=user,
                expected_version=version,
            )

    def success_message(self, request, data):
        return {"decline": _("已拒绝。"), "start": _("已记录开始。"), "complete": _("已记录完成。")}[
            self.step
        ]
