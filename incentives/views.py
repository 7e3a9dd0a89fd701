"""Pages of the incentives app: rules (parameters, preview, evaluation), awards (bulk approval,
finance export, payment), a beneficiary's awards, and the use-before-transfer list (the units'
and staff's pages, and the public page without login)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from openpyxl import load_workbook

from core.broker import publish_quickly
from core.ui.views import ButtonActionView, DetailView, EditView, ListView, PageView

from . import parameters, policies, selectors, services
from .choices import AwardStatus, BeneficiaryKind, JustificationStatus, ListingStatus
from .filtersets import AwardFilterSet, ListingFilterSet, PublicListingFilterSet
from .forms import (
    DecideForm,
    EvaluateForm,
    JustifyForm,
    ListingDecideForm,
    PaidForm,
    PaidImportForm,
    ParameterAddForm,
    ParameterChangeForm,
    PreviewForm,
    RuleForm,
    RuleStatusForm,
)
from .models import Rule
from .tables import AwardTable, ListingTable, PublicListingTable
from .tasks import evaluate_incentives_task


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


class StaffOnly:
    denied_message = policies.MSG_STAFF_ONLY

    def allowed(self, user):
        return policies.can_manage(user)


# --- rules ------------------------------------------------------------------------------------------


class RuleList(PageView):
    http_method_names = ["get", "head"]

    def get(self, request):
        rules = selectors.rule_list(user=request.user)
        return render(request, "incentives/rule_list.html", {"rules": rules, "can_manage": policies.can_manage(request.user)})


class RuleDetail(DetailView):
    template_name = "incentives/rule_detail.html"
    context_object_name = "rule"

    def get_queryset(self):
        return selectors.rule_list(user=self.request.user)

    def get_context_data(self, obj, context):
        rows = [
            {"key": p.key, "label": parameters.PARAMETERS.get(p.key).label if p.key in parameters.PARAMETERS else p.key,
             "value": parameters.display(p.value), "valid_from": p.valid_from, "note": p.note}
            for p in obj.parameters.order_by("key", "valid_from")
        ]
        today = timezone.localdate()
        current, _snapshot = services.parameter_values(obj, today)
        context.update(
            parameter_rows=rows,
            current={k: parameters.display(v) for k, v in current.items()},
            can_manage=policies.can_manage(self.request.user),
            change_form=ParameterChangeForm(initial={"valid_from": today}, auto_id="param_%s"),
            preview_form=PreviewForm(initial={"year": today.year - 1}, auto_id="preview_%s"),
            evaluate_form=EvaluateForm(initial={"year": today.year - 1}, auto_id="evaluate_%s"),
            status_form=RuleStatusForm(initial={"version": obj.version, "status": obj.status}, auto_id="status_%s"),
        )
        return context


class RuleCreate(StaffOnly, EditView):
    """A new rule, saved as a draft (its parameters come next, on its page)."""

    form_class = RuleForm
    template_name = "incentives/rule_form.html"
    creates = True

    def get_queryset(self):
        return selectors.rule_list(user=self.request.user)

    def save(self, form, obj):
        return services.rule_create(acting_user=self.request.user, **form.service_fields())

    def success_message(self, obj, created):
        return _("规则已保存为草稿：请录入参数、预览，再设为生效。")


class RuleSetStatus(StaffOnly, ButtonActionView):
    form_class = RuleStatusForm

    def get_queryset(self):
        return selectors.rule_list(user=self.request.user)

    def perform(self, rule, data):
        services.rule_set_status(rule=rule, status=data["status"], acting_user=self.request.user,
                                 expected_version=data["version"])

    def success_message(self, rule, data):
        return _("规则状态已修改。")


class RulePreview(StaffOnly, PageView):
    """GET only: what the rule would award with a changed parameter; writes nothing."""

    http_method_names = ["get", "head"]

    def get(self, request, pk):
        rule = get_object_or_404(Rule, pk=pk)
        form = PreviewForm(request.GET or None, initial={"year": timezone.localdate().year - 1})
        result, status = None, 200
        if request.GET:
            if form.is_valid():
                data = form.cleaned_data
                change = None
                if data.get("key"):
                    change = (data["key"], data["value"], data["valid_from"] or services.reference_date(data["year"]))
                try:
                    result = services.preview(rule=rule, year=data["year"], change=change, acting_user=request.user)
                except ValidationError as exc:
                    form.add_service_error(exc)
                    status = 400
            else:
                status = 400
        return render(request, "incentives/rule_preview.html", {"rule": rule, "form": form, "result": result}, status=status)


class ParameterAdd(StaffOnly, ButtonActionView):
    form_class = ParameterAddForm

    def get_queryset(self):
        return selectors.rule_list(user=self.request.user)

    def perform(self, rule, data):
        services.parameter_add(rule=rule, key=data["key"], value=data["value"], valid_from=data["valid_from"],
                               note=data["note"], acting_user=self.request.user)

    def success_message(self, rule, data):
        return _("新的参数值已保存，自 %(date)s 起适用。") % {"date": data["valid_from"].isoformat()}


class Evaluate(StaffOnly, PageView):
    """Run the evaluation of one rule (``pk``) or of every active rule for a year, as a task."""

    http_method_names = ["post"]

    def post(self, request, pk=None):
        rule = get_object_or_404(Rule, pk=pk) if pk else None
        back = rule.get_absolute_url() if rule else reverse("incentives:award_list")
        form = EvaluateForm(request.POST)
        if not form.is_valid():
            for message in form.labelled_error_list:
                messages.error(request, message)
            return redirect(back)
        year = form.cleaned_data["year"]
        try:
            services.evaluation_check(rule=rule, year=year)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return redirect(back)
        try:
            publish_quickly(evaluate_incentives_task, args=(year, rule.pk if rule else None, request.user.pk))
        except ValidationError as exc:  # run in-process (no broker): the service's refusal
            for message in _errors(exc):
                messages.error(request, message)
            return redirect(back)
        except Exception:
            messages.error(request, _("评审任务未能提交（消息队列不可用），请稍后再试。"))
            return redirect(back)
        messages.success(request, _("%(year)s 年度评审已运行（或已排队）；拟奖补见下表。") % {"year": year})
        return redirect(reverse("incentives:award_list") + f"?year={year}" + (f"&rule={rule.code}" if rule else ""))


# --- awards -----------------------------------------------------------------------------------------


class AwardList(ListView):
    filterset_class = AwardFilterSet
    table_class = AwardTable
    template_name = "incentives/award_list.html"
    filter_fields = ("year", "rule", "status", "beneficiary_kind")
    title = gettext_lazy("激励奖补")
    export_name = "incentive-awards"
    export_url_names = {"xlsx": "incentives:award_export_xlsx", "csv": "incentives:award_export_csv"}

    def allowed(self, user):
        return policies.can_view_awards(user)

    def get_queryset(self):
        return selectors.award_list(user=self.request.user)

    def get_context_data(self, **context):
        context["can_manage"] = policies.can_manage(self.request.user)
        context["evaluate_form"] = EvaluateForm(initial={"year": timezone.localdate().year - 1}, auto_id="evaluate_%s")
        return context


class AwardDetail(DetailView):
    template_name = "incentives/award_detail.html"
    context_object_name = "award"

    def allowed(self, user):
        return policies.can_view_awards(user)

    def get_queryset(self):
        return selectors.award_list(user=self.request.user)

    def get_context_data(self, obj, context):
        context["can_manage"] = policies.can_manage(self.request.user)
        context["paid_form"] = PaidForm(initial={"paid_on": timezone.localdate()})
        context["parameter_rows"] = [(k, parameters.display(v.get("value")), v.get("valid_from")) for k, v in obj.parameters.items()]
        return context


class _ListPage:
    """What a bulk act on the award list acts "on": the (filtered) list page it came from
    (``next``, on this site only), where it goes back to with its messages."""

    def __init__(self, url: str):
        self.url = url

    def get_absolute_url(self) -> str:
        return self.url


class AwardDecide(StaffOnly, ButtonActionView):
    """Bulk approve or reject the ticked proposals with one comment (from the filtered list)."""

    form_class = DecideForm

    def get_object(self):
        request = self.request
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            back = reverse("incentives:award_list")
        return _ListPage(back)

    def perform(self, page, data):
        self.done = services.awards_decide(awards=data["award"], approve=data["decision"] == "approve",
                                           comment=data["comment"], acting_user=self.request.user)

    def success_message(self, page, data):
        message = _("已批准 %(n)s 条奖补。") if data["decision"] == "approve" else _("已不批准 %(n)s 条奖补。")
        return message % {"n": len(self.done)}


class AwardPaid(StaffOnly, ButtonActionView):
    form_class = PaidForm

    def get_queryset(self):
        return selectors.award_list(user=self.request.user)

    def perform(self, award, data):
        services.awards_mark_paid(awards=[award], paid_on=data["paid_on"], acting_user=self.request.user)

    def success_message(self, award, data):
        return _("已标记为已支付。")


class PaidImport(StaffOnly, PageView):
    http_method_names = ["get", "head", "post"]

    def get(self, request):
        return render(request, "incentives/paid_import.html", {"form": PaidImportForm()})

    def post(self, request):
        form = PaidImportForm(request.POST, request.FILES)
        problems = []
        if form.is_valid():
            try:
                book = load_workbook(form.cleaned_data["file"], read_only=True, data_only=True)
                rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            except Exception:
                problems = [_("文件无法读取：请上传财务导出的 .xlsx 表格。")]
            else:
                try:
                    changed = services.paid_list_import(rows=rows, acting_user=request.user)
                except ValidationError as exc:
                    problems = _errors(exc)
                else:
                    messages.success(request, _("已标记 %(n)s 条奖补为已支付。") % {"n": len(changed)})
                    return redirect(reverse("incentives:award_list") + "?status=paid")
        return render(request, "incentives/paid_import.html", {"form": form, "problems": problems}, status=400)


class BeneficiaryAwards(PageView):
    """A beneficiary's page: every award it received or was proposed (those the user may see)."""

    http_method_names = ["get", "head"]

    def allowed(self, user):
        return policies.can_view_awards(user)

    def get(self, request, kind, code):
        if kind not in BeneficiaryKind.values:
            raise Http404
        awards = list(selectors.beneficiary_awards(user=request.user, kind=kind, code=code))
        if not awards:
            raise Http404
        held = [a for a in awards if a.status in (AwardStatus.APPROVED, AwardStatus.PAID)]
        return render(request, "incentives/beneficiary.html", {
            "kind": BeneficiaryKind(kind), "code": code, "name": awards[0].beneficiary_name, "awards": awards,
            "total": sum((a.amount for a in held), 0),
        })


# --- use before transfer ---------------------------------------------------------------------------


class ListingList(ListView):
    filterset_class = ListingFilterSet
    table_class = ListingTable
    filter_fields = ("status", "justification_status", "ip_type")
    title = gettext_lazy("先使用后付费清单")
    export_name = "use-before-transfer"
    export_url_names = {"xlsx": "incentives:listing_export_xlsx"}

    def allowed(self, user):
        return policies.can_view_awards(user)

    def get_queryset(self):
        return selectors.listing_list(user=self.request.user)


class ListingDetail(DetailView):
    template_name = "incentives/listing_detail.html"
    context_object_name = "item"

    def allowed(self, user):
        return policies.can_view_awards(user)

    def get_queryset(self):
        return selectors.listing_list(user=self.request.user)

    def get_context_data(self, obj, context):
        user = self.request.user
        context["can_justify"] = (
            policies.can_justify(user, obj.unit_id) and obj.status == ListingStatus.LISTED
            and obj.justification_status != JustificationStatus.PENDING
        )
        context["can_decide"] = policies.can_manage(user) and obj.justification_status == JustificationStatus.PENDING
        context["justify_form"] = JustifyForm(initial={"version": obj.version, "justification": obj.justification})
        context["decide_form"] = ListingDecideForm(initial={"version": obj.version})
        return context


class _ListingAct(ButtonActionView):
    def get_queryset(self):
        return selectors.listing_list(user=self.request.user)

    def success_message(self, item, data):
        return _("已保存。")


class ListingJustify(_ListingAct):
    form_class = JustifyForm

    def allowed(self, user):
        return policies.can_view_awards(user)

    def object_allowed(self, user, item):
        return policies.can_justify(user, item.unit_id)

    def perform(self, item, data):
        services.listing_justify(listing=item, text=data["justification"], acting_user=self.request.user,
                                 expected_version=data["version"])


class ListingDecide(StaffOnly, _ListingAct):
    form_class = ListingDecideForm

    def perform(self, item, data):
        services.listing_decide(listing=item, accept=data["decision"] == "accept", comment=data["comment"],
                                acting_user=self.request.user, expected_version=data["version"])


class PublicListing(ListView):
    """The published list, open to everyone (no login): published fields only."""

    filterset_class = PublicListingFilterSet
    table_class = PublicListingTable
    filter_fields = ("ip_type",)
    title = gettext_lazy("先使用后付费成果清单（公开）")
    export_name = "use-before-transfer-public"
    export_url_names = {"xlsx": "incentives:public_export_xlsx", "csv": "incentives:public_export_csv"}
    template_name = "incentives/public_list.html"

    def dispatch(self, request, *args, **kwargs):
        return View.dispatch(self, request, *args, **kwargs)

    def get_queryset(self):
        return selectors.public_listings()


