"""Server-rendered pages of the registry: achievements and transformation contracts.

Every page is a declaration on the shared machinery (``core.ui``): a selector for the records the
user may see, a FilterSet, a table, a form and a service call. Who may do what
(docs/registry-pages.md) is asked of ``achievements.policies``, which the services check again on
every write:

- anonymous users are sent to the login page;
- department staff see and curate every record;
- a unit user sees only their own unit's records (any other record is 404), creates and edits them
  with the unit fixed to their own, may withdraw their achievements and cancel their contracts, but
  may not mark achievements convertible, restore withdrawn ones or merge duplicates (403).

Withdraw, cancel and merge are two steps without JavaScript: GET shows a confirmation page with a
required reason, POST performs. Restore and "convertible" are one button (POST).
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import regions
from core.ui import filters
from core.ui.history import last_status_change
from core.ui.views import ActionView, ButtonActionView, DetailView, EditView, ListView, PageView
from core.ui.widgets import RegionPicker, fill_attributes

from . import duplicates, policies, selectors, services
from .choices import AchievementStatus, TransformationStatus
from .filtersets import AchievementFilterSet, TransformationFilterSet
from .forms import (
    AchievementForm,
    CancelForm,
    ConvertibleForm,
    MergeForm,
    TransformationForm,
    VersionOnlyForm,
    WithdrawForm,
)
from .models import Achievement, Transformation, Unit
from .tables import AchievementTable, TransformationTable

# The ``?sort=`` whitelists (derived from the tables; the drill-down benchmark walks them).
ACHIEVEMENT_SORTS = AchievementTable.sorts()
TRANSFORMATION_SORTS = TransformationTable.sorts()


def _achievements(user):
    return Achievement.objects.for_user(user).select_related("unit", "cluster", "merged_into")


def _contracts(user):
    return Transformation.objects.for_user(user).select_related(
        "unit", "achievement", "achievement__unit", "transferee"
    )


# --- lists -----------------------------------------------------------------------------------


class RegistryListView(ListView):
    """The registry's lists: unit users do not see the unit filters (they still apply within their
    unit when given in the URL); units and cities are chosen by name."""

    def hidden_filter_fields(self):
        return set() if self.request.user.is_staff else {"unit", "unit_type", "region"}

    def tidy_filter_form(self, form):
        super().tidy_filter_form(form)
        all_label = filters.ALL_LABEL
        for name in ("trl_min", "trl_max"):
            if name in form.fields:
                form.fields[name].widget = filters.select(
                    [("", all_label)] + [(str(level), str(level)) for level in range(1, 10)]
                )
        # Regions are picked by name from the division list (a typed code without JavaScript).
        for name, label in (("region", _("单位所在地区")), ("transferee_region", _("受让方地区"))):
            if name in form.fields:
                form.fields[name].widget = RegionPicker(placeholder=_("地区名称或代码"))
                form.fields[name].label = label
        if "unit" in form.fields and self.request.user.is_staff:
            form.fields["unit"].widget = filters.select(
                [("", all_label), *Unit.objects.order_by("name").values_list("code", "name")]
            )
            form.fields["unit"].label = _("单位")


class AchievementListView(RegistryListView):
    filterset_class = AchievementFilterSet
    table_class = AchievementTable
    template_name = "achievements/achievement_list.html"
    filter_fields = (
        "unit",
        "unit_type",
        "region",
        "cluster",
        "ip_type",
        "trl_min",
        "trl_max",
        "funded",
        "convertible",
        "status",
        "transformed",
    )
    title = gettext_lazy("科技成果")
    search_placeholder = gettext_lazy("成果名称、关键词、成果编号、单位名称或专利号")

    def get_queryset(self):
        return selectors.achievement_list(user=self.request.user)

    def prepare_page(self, records):
        return selectors.mark_transformed(records)

    def get_context_data(self, **context):
        user = self.request.user
        context["can_create"] = policies.can_create_record(user, policies.unit_of(user))
        return context


class TransformationListView(RegistryListView):
    filterset_class = TransformationFilterSet
    table_class = TransformationTable
    template_name = "achievements/transformation_list.html"
    partial_template_name = "achievements/_transformation_results.html"
    filter_fields = (
        "unit",
        "unit_type",
        "region",
        "cluster",
        "mode",
        "status",
        "local",
        "transferee_region",
        "signed_year",
        "signed_from",
        "signed_to",
        "amount_min",
        "amount_max",
    )
    title = gettext_lazy("转化合同")
    search_placeholder = gettext_lazy("合同编号、成果名称、受让方或单位名称")
    export_name = gettext_lazy("转化合同导出")
    export_url_names = {
        "xlsx": "achievements:transformation_export_xlsx",
        "csv": "achievements:transformation_export_csv",
    }

    def get_queryset(self):
        return selectors.transformation_list(user=self.request.user)

    def get_totals(self, rows):
        # One aggregate gives the totals and the count the paginator would otherwise query again
        # (over at most the count cap plus one rows: ``ListView.count_rows``).
        return rows.aggregate(count=Count("pk"), amount=Sum("amount"), received=Sum("received"))


# --- achievements ----------------------------------------------------------------------------


class AchievementDetailView(DetailView):
    template_name = "achievements/achievement_detail.html"
    context_object_name = "achievement"

    def get_queryset(self):
        return _achievements(self.request.user)

    def get_context_data(self, achievement, context):
        user = self.request.user
        contracts = achievement.transformations.select_related("transferee").order_by("-signed_on", "-pk")
        totals = achievement.transformations.filter(selectors.effective_q()).aggregate(
            count=Count("pk"), amount=Sum("amount"), received=Sum("received")
        )
        withdrawn = achievement.status == AchievementStatus.WITHDRAWN
        return {
            **context,
            "contracts": list(contracts),
            "totals": totals,
            "duplicates": achievement.merged_duplicates.order_by("ref") if user.is_staff else [],
            "is_staff": user.is_staff,
            "can_restore": policies.can_restore(user, merged=achievement.merged_into_id is not None),
            "can_curate": policies.can_set_convertible(user),
            "status_change": last_status_change(achievement, AchievementStatus.WITHDRAWN)
            if withdrawn
            else None,
            "who_can_restore": policies.WHO_CAN_RESTORE,
        }


class AchievementEditView(EditView):
    """Register (``creates``) or edit an achievement; a unit user's form has no unit field."""

    form_class = AchievementForm
    template_name = "achievements/achievement_form.html"
    context_object_name = "achievement"
    denied_message = policies.MSG_NO_UNIT

    def allowed(self, user):
        return not self.creates or policies.can_create_record(user, policies.unit_of(user))

    def object_allowed(self, user, obj):
        return policies.can_edit_record(user, obj.unit_id)

    def get_queryset(self):
        return _achievements(self.request.user)

    def save(self, form, achievement):
        if achievement is None:
            return services.achievement_create(acting_user=self.request.user, **form.service_fields())
        return services.achievement_update(
            achievement=achievement,
            acting_user=self.request.user,
            expected_version=form.cleaned_data["version"],
            change_reason=form.cleaned_data.get("change_reason", ""),
            **form.service_fields(),
        )

    def success_message(self, achievement, created):
        if created:
            return _("成果“%(title)s”已登记。") % {"title": achievement.title}
        return super().success_message(achievement, created)


class AchievementWithdrawView(ActionView):
    form_class = WithdrawForm
    confirm_template = "achievements/achievement_withdraw.html"
    context_object_name = "achievement"
    denied_message = policies.MSG_OTHER_UNIT

    def get_queryset(self):
        return _achievements(self.request.user)

    def object_allowed(self, user, achievement):
        return policies.can_withdraw(user, achievement.unit_id)

    def refusal(self, achievement):
        return _("该成果已撤回。") if achievement.status != AchievementStatus.ACTIVE else None

    def perform(self, achievement, data):
        services.achievement_withdraw(
            achievement=achievement,
            acting_user=self.request.user,
            on=data["withdrawn_on"],
            reason=data["reason"],
            expected_version=data["version"],
        )

    def success_message(self, achievement, data):
        message = _("成果已撤回（记录保留，不计入存量）。")
        if not policies.can_restore(self.request.user, merged=False):
            message = f"{message}{policies.WHO_CAN_RESTORE}"
        return message

    def get_context_data(self, achievement, context):
        staff = policies.can_restore(self.request.user, merged=False)
        return {**context, "who_can_restore": None if staff else policies.WHO_CAN_RESTORE}


class AchievementRestoreView(ButtonActionView):
    form_class = VersionOnlyForm
    denied_message = policies.MSG_RESTORE

    def allowed(self, user):
        return policies.can_restore(user, merged=False)

    def get_queryset(self):
        return _achievements(self.request.user)

    def refusal(self, achievement):
        return policies.MSG_RESTORE_MERGED if achievement.merged_into_id else None

    def perform(self, achievement, data):
        services.achievement_restore(
            achievement=achievement, acting_user=self.request.user, expected_version=data["version"]
        )

    def success_message(self, achievement, data):
        return _("成果已恢复为有效。")


class AchievementConvertibleView(ButtonActionView):
    form_class = ConvertibleForm
    denied_message = policies.MSG_CONVERTIBLE

    def allowed(self, user):
        return policies.can_set_convertible(user)

    def get_queryset(self):
        return _achievements(self.request.user)

    def perform(self, achievement, data):
        services.achievement_set_convertible(
            achievement=achievement,
            acting_user=self.request.user,
            convertible=data["convertible"],
            expected_version=data["version"],
        )

    def success_message(self, achievement, data):
        return _("可转化标记已更新。")


class AchievementMergeView(ActionView):
    """Merge a duplicate of the same unit into this record (the one kept)."""

    form_class = MergeForm
    confirm_template = "achievements/achievement_merge.html"
    context_object_name = "keep"
    denied_message = policies.MSG_MERGE

    def allowed(self, user):
        return policies.can_merge(user)

    def get_queryset(self):
        return _achievements(self.request.user)

    def get_form(self, data, keep):
        return MergeForm(data, keep=keep)

    def get_context_data(self, keep, context):
        return {**context, "candidates": duplicates.likely_duplicates(keep)}

    def perform(self, keep, data):
        services.achievement_merge(
            keep=keep,
            duplicate=data["duplicate"],
            acting_user=self.request.user,
            reason=data["reason"],
            on=datetime.date.today(),
        )

    def success_message(self, keep, data):
        return _("已将重复记录 %(dup)s 合并至本成果，其转化合同已转移。") % {"dup": data["duplicate"].ref}


# --- transformation contracts ---------------------------------------------------------------


class TransformationDetailView(DetailView):
    template_name = "achievements/transformation_detail.html"
    context_object_name = "contract"

    def get_queryset(self):
        return _contracts(self.request.user)

    def get_context_data(self, contract, context):
        cancelled = contract.status == TransformationStatus.CANCELLED
        status_change = last_status_change(contract, TransformationStatus.CANCELLED) if cancelled else None
        return {**context, "status_change": status_change}


class TransformationEditView(EditView):
    """Register a contract of an achievement (``creates``: the URL's pk is the achievement's) or
    edit one. The transferee is upserted in the same transaction as the contract."""

    form_class = TransformationForm
    template_name = "achievements/transformation_form.html"
    context_object_name = "contract"

    def get_queryset(self):
        return _contracts(self.request.user)

    def object_allowed(self, user, obj):
        return policies.can_edit_record(user, obj.unit_id)

    def achievement(self, contract):
        if contract is not None:
            return contract.achievement
        if not hasattr(self, "_achievement"):
            self._achievement = get_achievement(self.request, self.kwargs["pk"])
        return self._achievement

    def handle(self, request):
        if self.creates:
            achievement = self.achievement(None)
            if not policies.can_create_record(request.user, achievement.unit_id):
                raise PermissionDenied(policies.MSG_OTHER_UNIT)
        return super().handle(request)

    def get_form(self, data, contract):
        return TransformationForm(data, instance=contract, achievement=self.achievement(contract))

    def save(self, form, contract):
        user = self.request.user
        change_reason = form.cleaned_data.get("change_reason", "")
        with transaction.atomic():
            transferee = services.transferee_upsert(
                acting_user=user, change_reason=change_reason, **form.transferee_fields()
            )
            fields = form.service_fields()
            if contract is None:
                return services.transformation_create(
                    acting_user=user, achievement=form.achievement, transferee=transferee, **fields
                )
            return services.transformation_update(
                contract=contract,
                acting_user=user,
                expected_version=form.cleaned_data["version"],
                change_reason=change_reason,
                transferee=transferee,
                **fields,
            )

    def service_error(self, form, exc):
        """Errors about the transferee record belong to the transferee fields of the form."""
        if hasattr(exc, "error_dict"):
            mapping = {"code": "transferee_code", "name": "transferee_name", "region": "transferee_region"}
            if set(exc.error_dict) <= set(mapping):
                for name, errors in exc.message_dict.items():
                    form.add_error(mapping[name], errors)
                return
        form.add_service_error(exc)

    def success_message(self, contract, created):
        if created:
            return _("转化合同 %(ref)s 已登记。") % {"ref": contract.ref}
        return super().success_message(contract, created)

    def get_context_data(self, form, contract, context):
        return {**context, "achievement": self.achievement(contract)}


class TransfereeSearchView(PageView):
    """The contract form's transferee autocomplete: ``GET /transferees/search/?q=…`` → options
    (``achievements/_transferee_options.html``) of the transferees the user may see whose name
    contains the text or whose credit code begins with it (``selectors.transferee_lookup``: from
    two characters, at most ten, one query). Staff and unit users (``can_register_records``)."""

    http_method_names = ["get", "head"]
    template_name = "achievements/_transferee_options.html"

    def allowed(self, user):
        return policies.can_register_records(user)

    def get(self, request):
        query = request.GET.get("q", "").strip()
        options = [
            {
                "transferee": t,
                "attrs": fill_attributes(
                    {"transferee_code": t.code, "transferee_name": t.name, "transferee_region": t.region},
                    {"transferee_region": regions.label(t.region)},
                ),
            }
            for t in selectors.transferee_lookup(user=request.user, query=query)
        ]
        return render(
            request,
            self.template_name,
            {
                "options": options,
                "query": query,
                "min_chars": selectors.TRANSFEREE_LOOKUP_MIN,
                "too_short": len(query) < selectors.TRANSFEREE_LOOKUP_MIN,
                "limit": selectors.TRANSFEREE_LOOKUP_LIMIT,
            },
        )


def get_achievement(request, pk) -> Achievement:
    return get_object_or_404(_achievements(request.user), pk=pk)


class TransformationCancelView(ActionView):
    form_class = CancelForm
    confirm_template = "achievements/transformation_cancel.html"
    context_object_name = "contract"
    denied_message = policies.MSG_OTHER_UNIT

    def get_queryset(self):
        return _contracts(self.request.user)

    def object_allowed(self, user, contract):
        return policies.can_cancel_contract(user, contract.unit_id)

    def refusal(self, contract):
        return _("该合同已解除。") if contract.status != TransformationStatus.EFFECTIVE else None

    def perform(self, contract, data):
        services.transformation_cancel(
            contract=contract,
            acting_user=self.request.user,
            reason=data["reason"],
            expected_version=data["version"],
        )

    def success_message(self, contract, data):
        return _("合同已解除（记录保留，不再计入统计）。")
