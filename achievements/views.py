"""Server-rendered pages of the registry: achievements and transformation contracts.

Views are thin: reads go through ``selectors`` and the shared FilterSets, writes through
``services``. Who may do what (see docs/registry-pages.md):

- anonymous users are sent to the login page;
- department staff see and curate every record;
- a unit user sees only their own unit's records (any other record is 404), creates and edits them
  with the unit fixed to their own, may withdraw their achievements and cancel their contracts, but
  may not mark achievements convertible, restore withdrawn ones or merge duplicates (403).

The rules themselves are in ``achievements.policies`` and are checked by the services; the views
only ask the same predicates to show or hide buttons and to answer 403 early. Withdraw, cancel and
merge are two steps without JavaScript: GET shows a confirmation page with a required reason,
POST performs.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Sum
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core.exceptions import StaleVersionError
from core.validators import LIAONING_CITIES

from . import policies, selectors, services
from .choices import AchievementStatus, TransformationStatus
from .filtersets import AchievementFilterSet, TransformationFilterSet
from .forms import (
    AchievementForm,
    CancelForm,
    ConvertibleForm,
    DateInput,
    MergeForm,
    TransformationForm,
    VersionOnlyForm,
    WithdrawForm,
)
from .history import history_entries, last_status_change
from .models import Achievement, Transformation, Unit

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25

# Whitelisted ``?sort=`` values (a leading ``-`` sorts descending) and the columns they order by.
# The primary key is always the last key so that pages never overlap or skip rows.
ACHIEVEMENT_SORTS = {
    "title": ("title",),
    "unit": ("unit__name",),
    "ip_type": ("ip_type",),
    "patent_no": ("patent_no",),
    "trl": ("trl",),
    "cluster": ("cluster__code",),
    "registered_on": ("registered_on",),
    "status": ("status",),
}
ACHIEVEMENT_DEFAULT_SORT = "-registered_on"
TRANSFORMATION_SORTS = {
    "ref": ("ref",),
    "achievement": ("achievement__title",),
    "unit": ("unit__name",),
    "transferee": ("transferee__name",),
    "mode": ("mode",),
    "signed_on": ("signed_on",),
    "amount": ("amount",),
    "received": ("received",),
    "status": ("status",),
}
TRANSFORMATION_DEFAULT_SORT = "-signed_on"


def _sorted(qs, value: str, sorts: dict, default: str):
    """Apply a whitelisted sort; an unknown value falls back to the default."""
    key = value.lstrip("-")
    if key not in sorts:
        value, key = default, default.lstrip("-")
    descending = value.startswith("-")
    columns = [f"-{c}" if descending else c for c in sorts[key]]
    return qs.order_by(*columns, "-pk" if descending else "pk"), value


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _tidy_filter_form(form, request) -> None:
    """Readable widgets for the filter form: '全部' instead of dashes, units and cities by name,
    date pickers. Called before the form is validated (bound fields are cached from then on)."""
    all_label = gettext_lazy("全部")
    for field in form.fields.values():
        if isinstance(field, forms.DateField):
            field.widget = DateInput()
            continue
        if isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=[("", all_label), ("true", _("是")), ("false", _("否"))])
            continue
        choices = getattr(field, "choices", None)
        if choices is None or not hasattr(field.widget, "choices"):
            continue
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = all_label
        elif hasattr(field, "empty_label"):
            # django-filter's ChoiceField adds its empty choice when its choices are set.
            field.empty_label = all_label
            field.choices = [(value, label) for value, label in choices if value != ""]
        else:
            field.choices = [("", all_label)] + [(value, label) for value, label in choices if value != ""]
    for name in ("trl_min", "trl_max"):
        if name in form.fields:
            form.fields[name].widget = forms.Select(
                choices=[("", all_label)] + [(str(level), str(level)) for level in range(1, 10)]
            )
    if "region" in form.fields:
        regions = [("", all_label), ("210000", _("辽宁省（全省）"))] + list(LIAONING_CITIES.items())
        current = form.data.get("region") if form.is_bound else None
        if current and current not in dict(regions):
            regions.append((current, current))  # e.g. a district code from a dashboard link
        form.fields["region"].widget = forms.Select(choices=regions)
        form.fields["region"].label = _("单位所在城市")
    if "unit" in form.fields and request.user.is_staff:
        form.fields["unit"].widget = forms.Select(
            choices=[("", all_label)] + list(Unit.objects.order_by("name").values_list("code", "name"))
        )
        form.fields["unit"].label = _("单位")


def _shown_filter_fields(form, request, names: tuple[str, ...]) -> list:
    """The filter fields the page shows. A unit user only ever sees their own unit, so the unit
    filters mean nothing to them (they still apply if given in the URL, within their unit)."""
    hidden = set() if request.user.is_staff else {"unit", "unit_type", "region"}
    return [form[name] for name in names if name in form.fields and name not in hidden]


def _extra_filters(form, shown: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Filters in the URL that the form does not show (e.g. ``stock_year`` from a dashboard
    drill-down): kept as hidden inputs and shown as chips, so changing a visible filter keeps them."""
    if not form.is_bound:
        return []
    return [
        (name, form[name].label, form.data.get(name))
        for name in form.fields
        if name not in shown and form.data.get(name) not in (None, "")
    ]


def _list_response(request, *, template, partial, context):
    """The whole page, or only the table and pager for an htmx request (same URL either way).

    With invalid list parameters the page answers 400 (an htmx request 200, so that htmx shows the
    errors in place of the table)."""
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, partial, context)
    else:
        response = render(request, template, context)
        if context.get("filter_errors"):
            response.status_code = 400
    patch_vary_headers(response, ("HX-Request",))
    return response


def _filter_errors(filterset, request, sorts: dict) -> list[tuple[str, str, list[str]]]:
    """The list's invalid parameters as (name, label, messages): the page names each one and shows
    no rows rather than an unfiltered list. A page number beyond the last page shows the last page."""
    errors = []
    if filterset.is_bound and not filterset.is_valid():
        for name, messages_ in filterset.errors.items():
            field = filterset.form.fields.get(name)
            errors.append((name, field.label if field else name, list(messages_)))
    sort = request.GET.get("sort", "")
    if sort and sort.removeprefix("-") not in sorts:
        errors.append(("sort", _("排序"), [_("未知的排序字段。")]))
    per_page = request.GET.get("per_page", "")
    if per_page and per_page not in {str(size) for size in PAGE_SIZES}:
        sizes = ", ".join(str(size) for size in PAGE_SIZES)
        errors.append(("per_page", _("每页条数"), [_("每页条数应为 %(sizes)s 之一。") % {"sizes": sizes}]))
    page = request.GET.get("page", "")
    if page and page != "last":
        try:
            valid = int(page) >= 1
        except ValueError:
            valid = False
        if not valid:
            errors.append(("page", _("页码"), [_("页码应为从1开始的整数。")]))
    return errors


# --- achievements ---------------------------------------------------------------------------

ACHIEVEMENT_FILTER_FIELDS = (
    "q",
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


@login_required
@require_safe
def achievement_list(request):
    queryset = selectors.achievement_list(user=request.user)
    filterset = AchievementFilterSet(request.GET or None, queryset=queryset, request=request)
    form = filterset.form
    _tidy_filter_form(form, request)
    filter_errors = _filter_errors(filterset, request, ACHIEVEMENT_SORTS)
    rows = filterset.qs.none() if filter_errors else filterset.qs
    qs, sort = _sorted(rows, request.GET.get("sort", ""), ACHIEVEMENT_SORTS, ACHIEVEMENT_DEFAULT_SORT)
    page = Paginator(qs, _page_size(request)).get_page(request.GET.get("page"))
    page.object_list = selectors.mark_transformed(page.object_list)
    context = {
        "filterset": filterset,
        "filter_errors": filter_errors,
        "form": form,
        "primary_fields": [form[name] for name in ("q",) if name in form.fields],
        "filter_fields": _shown_filter_fields(form, request, ACHIEVEMENT_FILTER_FIELDS[1:]),
        "extra_filters": _extra_filters(form, ACHIEVEMENT_FILTER_FIELDS),
        "page_obj": page,
        "sort": sort,
        "per_page": page.paginator.per_page,
        "page_sizes": PAGE_SIZES,
        "can_create": request.user.is_staff or request.user.unit_id is not None,
    }
    return _list_response(
        request,
        template="achievements/achievement_list.html",
        partial="achievements/_achievement_results.html",
        context=context,
    )


def _achievement_for(request, pk) -> Achievement:
    return get_object_or_404(
        Achievement.objects.for_user(request.user).select_related("unit", "cluster", "merged_into"), pk=pk
    )


def _require(allowed: bool, message) -> None:
    """Answer 403 early with the policy's message (the service would refuse anyway)."""
    if not allowed:
        raise PermissionDenied(message)


@login_required
@require_safe
def achievement_detail(request, pk):
    achievement = _achievement_for(request, pk)
    contracts = list(achievement.transformations.select_related("transferee").order_by("-signed_on", "-pk"))
    totals = achievement.transformations.filter(selectors.effective_q()).aggregate(
        count=Count("pk"), amount=Sum("amount"), received=Sum("received")
    )
    context = {
        "achievement": achievement,
        "contracts": contracts,
        "totals": totals,
        "history": history_entries(achievement),
        "duplicates": achievement.merged_duplicates.order_by("ref") if request.user.is_staff else [],
        "is_staff": request.user.is_staff,
        "can_restore": policies.can_restore(request.user, merged=achievement.merged_into_id is not None),
        "can_curate": policies.can_set_convertible(request.user),
        "status_change": (
            last_status_change(achievement, AchievementStatus.WITHDRAWN)
            if achievement.status == AchievementStatus.WITHDRAWN
            else None
        ),
        "who_can_restore": policies.WHO_CAN_RESTORE,
    }
    return render(request, "achievements/achievement_detail.html", context)


def _stale(form, exc: StaleVersionError):
    form.add_error(None, exc.message)


@login_required
def achievement_create(request):
    if not (request.user.is_staff or request.user.unit_id):
        raise PermissionDenied
    form = AchievementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            achievement = services.achievement_create(acting_user=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("成果“%(title)s”已登记。") % {"title": achievement.title})
            return redirect(achievement)
    return render(
        request,
        "achievements/achievement_form.html",
        {"form": form, "achievement": None},
        status=_status(form),
    )


def _status(form) -> int:
    return 200 if not form.is_bound or not form.errors else 400


@login_required
def achievement_edit(request, pk):
    achievement = _achievement_for(request, pk)
    form = AchievementForm(request.POST or None, instance=achievement, user=request.user)
    status = None
    if request.method == "POST" and form.is_valid():
        try:
            achievement = services.achievement_update(
                achievement=achievement,
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                **form.service_fields(),
            )
        except StaleVersionError as exc:
            _stale(form, exc)
            status = 409
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("修改已保存。"))
            return redirect(achievement)
    current = Achievement.objects.get(pk=pk)
    return render(
        request,
        "achievements/achievement_form.html",
        {"form": form, "achievement": current, "stale": status == 409},
        status=status or _status(form),
    )


def _post_action(request, form, action, success_message, obj):
    """Run a one-button write (withdraw, restore, mark convertible, cancel) and go back to the page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except StaleVersionError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form.add_service_error(exc)
            for message in form.labelled_error_list:
                messages.error(request, message)
        else:
            messages.success(request, success_message)
    else:
        for message in form.labelled_error_list:
            messages.error(request, message)
    return redirect(obj)


def _confirm_action(request, *, form, template, context, action, success_message, obj):
    """A destructive act in two steps: GET shows the confirmation page (with the required reason),
    POST performs it and goes back to the record; an invalid POST shows the page again (400)."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                action(form.cleaned_data)
            except StaleVersionError as exc:
                messages.error(request, exc.message)
                return redirect(obj)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, success_message)
                return redirect(obj)
        status = 400
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(request, template, {**context, "form": form}, status=status)


@login_required
def achievement_withdraw(request, pk):
    achievement = _achievement_for(request, pk)
    _require(policies.can_withdraw(request.user, achievement.unit_id), policies.MSG_OTHER_UNIT)
    if achievement.status != AchievementStatus.ACTIVE:
        messages.error(request, _("该成果已撤回。"))
        return redirect(achievement)
    success = _("成果已撤回（记录保留，不计入存量）。")
    if not policies.can_restore(request.user, merged=False):
        success = f"{success}{policies.WHO_CAN_RESTORE}"
    return _confirm_action(
        request,
        form=WithdrawForm(request.POST or None, initial={"version": achievement.version}),
        template="achievements/achievement_withdraw.html",
        context={
            "achievement": achievement,
            "who_can_restore": None if request.user.is_staff else policies.WHO_CAN_RESTORE,
        },
        action=lambda data: services.achievement_withdraw(
            achievement=achievement,
            acting_user=request.user,
            on=data["withdrawn_on"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success_message=success,
        obj=achievement,
    )


@login_required
def achievement_restore(request, pk):
    _require(policies.can_restore(request.user, merged=False), policies.MSG_RESTORE)
    achievement = _achievement_for(request, pk)
    if achievement.merged_into_id:
        messages.error(request, policies.MSG_RESTORE_MERGED)
        return redirect(achievement)
    return _post_action(
        request,
        VersionOnlyForm(request.POST),
        lambda data: services.achievement_restore(
            achievement=achievement, acting_user=request.user, expected_version=data["version"]
        ),
        _("成果已恢复为有效。"),
        achievement,
    )


@login_required
def achievement_convertible(request, pk):
    _require(policies.can_set_convertible(request.user), policies.MSG_CONVERTIBLE)
    achievement = _achievement_for(request, pk)
    return _post_action(
        request,
        ConvertibleForm(request.POST),
        lambda data: services.achievement_set_convertible(
            achievement=achievement,
            acting_user=request.user,
            convertible=data["convertible"],
            expected_version=data["version"],
        ),
        _("可转化标记已更新。"),
        achievement,
    )


@login_required
def achievement_merge(request, pk):
    _require(policies.can_merge(request.user), policies.MSG_MERGE)
    keep = _achievement_for(request, pk)
    form = MergeForm(request.POST or None, keep=keep)
    if request.method == "POST" and form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        try:
            services.achievement_merge(
                keep=keep,
                duplicate=duplicate,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                on=datetime.date.today(),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("已将重复记录 %(dup)s 合并至本成果，其转化合同已转移。") % {"dup": duplicate.ref},
            )
            return redirect(keep)
    return render(
        request, "achievements/achievement_merge.html", {"form": form, "keep": keep}, status=_status(form)
    )


# --- transformation contracts ---------------------------------------------------------------

TRANSFORMATION_FILTER_FIELDS = (
    "q",
    "unit",
    "unit_type",
    "region",
    "cluster",
    "mode",
    "status",
    "local",
    "signed_year",
    "signed_from",
    "signed_to",
    "amount_min",
    "amount_max",
)


@login_required
@require_safe
def transformation_list(request):
    filterset = TransformationFilterSet(
        request.GET or None, queryset=selectors.transformation_list(user=request.user), request=request
    )
    form = filterset.form
    _tidy_filter_form(form, request)
    filter_errors = _filter_errors(filterset, request, TRANSFORMATION_SORTS)
    rows = filterset.qs.none() if filter_errors else filterset.qs
    qs, sort = _sorted(rows, request.GET.get("sort", ""), TRANSFORMATION_SORTS, TRANSFORMATION_DEFAULT_SORT)
    # One aggregate gives the totals and the count the paginator would otherwise query again.
    totals = rows.order_by().aggregate(count=Count("pk"), amount=Sum("amount"), received=Sum("received"))
    paginator = Paginator(qs, _page_size(request))
    paginator.count = totals["count"]
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "filter_errors": filter_errors,
        "form": form,
        "primary_fields": [form["q"]],
        "filter_fields": _shown_filter_fields(form, request, TRANSFORMATION_FILTER_FIELDS[1:]),
        "extra_filters": _extra_filters(form, TRANSFORMATION_FILTER_FIELDS),
        "page_obj": page,
        "sort": sort,
        "per_page": page.paginator.per_page,
        "page_sizes": PAGE_SIZES,
        "totals": totals,
    }
    return _list_response(
        request,
        template="achievements/transformation_list.html",
        partial="achievements/_transformation_results.html",
        context=context,
    )


def _contract_for(request, pk) -> Transformation:
    return get_object_or_404(
        Transformation.objects.for_user(request.user).select_related(
            "unit", "achievement", "achievement__unit", "transferee"
        ),
        pk=pk,
    )


@login_required
@require_safe
def transformation_detail(request, pk):
    contract = _contract_for(request, pk)
    context = {
        "contract": contract,
        "history": history_entries(contract),
        "status_change": (
            last_status_change(contract, TransformationStatus.CANCELLED)
            if contract.status == TransformationStatus.CANCELLED
            else None
        ),
    }
    return render(request, "achievements/transformation_detail.html", context)


def _save_contract(request, form, contract=None):
    """Upsert the transferee and create or update the contract in one transaction."""
    with transaction.atomic():
        transferee = services.transferee_upsert(acting_user=request.user, **form.transferee_fields())
        fields = form.service_fields()
        if contract is None:
            return services.transformation_create(
                acting_user=request.user, achievement=form.achievement, transferee=transferee, **fields
            )
        return services.transformation_update(
            contract=contract,
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
            transferee=transferee,
            **fields,
        )


def _transferee_error(form, exc: ValidationError) -> None:
    """Errors about the transferee record belong to the transferee fields of the form."""
    if hasattr(exc, "error_dict"):
        mapping = {"code": "transferee_code", "name": "transferee_name", "region": "transferee_region"}
        if set(exc.error_dict) <= set(mapping):
            for name, errors in exc.message_dict.items():
                form.add_error(mapping[name], errors)
            return
    form.add_service_error(exc)


@login_required
def transformation_create(request, pk):
    achievement = _achievement_for(request, pk)
    form = TransformationForm(request.POST or None, achievement=achievement)
    if request.method == "POST" and form.is_valid():
        try:
            contract = _save_contract(request, form)
        except ValidationError as exc:
            _transferee_error(form, exc)
        else:
            messages.success(request, _("转化合同 %(ref)s 已登记。") % {"ref": contract.ref})
            return redirect(contract)
    return render(
        request,
        "achievements/transformation_form.html",
        {"form": form, "achievement": achievement, "contract": None},
        status=_status(form),
    )


@login_required
def transformation_edit(request, pk):
    contract = _contract_for(request, pk)
    form = TransformationForm(request.POST or None, instance=contract, achievement=contract.achievement)
    status = None
    if request.method == "POST" and form.is_valid():
        try:
            contract = _save_contract(request, form, contract)
        except StaleVersionError as exc:
            _stale(form, exc)
            status = 409
        except ValidationError as exc:
            _transferee_error(form, exc)
        else:
            messages.success(request, _("修改已保存。"))
            return redirect(contract)
    current = Transformation.objects.select_related("achievement").get(pk=pk)
    return render(
        request,
        "achievements/transformation_form.html",
        {"form": form, "achievement": current.achievement, "contract": current, "stale": status == 409},
        status=status or _status(form),
    )


@login_required
def transformation_cancel(request, pk):
    contract = _contract_for(request, pk)
    _require(policies.can_cancel_contract(request.user, contract.unit_id), policies.MSG_OTHER_UNIT)
    if contract.status != TransformationStatus.EFFECTIVE:
        messages.error(request, _("该合同已解除。"))
        return redirect(contract)
    return _confirm_action(
        request,
        form=CancelForm(request.POST or None, initial={"version": contract.version}),
        template="achievements/transformation_cancel.html",
        context={"contract": contract},
        action=lambda data: services.transformation_cancel(
            contract=contract,
            acting_user=request.user,
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success_message=_("合同已解除（记录保留，不再计入统计）。"),
        obj=contract,
    )
