"""The admin: the same rules as every other door.

- Nothing is ever deleted: no model here has a delete permission (hence no "delete selected"
  action), and the history pages cannot revert a record behind the services' back.
- Achievements and contracts (the versioned records) are read-only here: they are curated on the
  registry pages, whose writes go through ``achievements.services`` and ``achievements.policies``.
- Units and transferees are written through the same services as the API (history reason, the
  policy check, and the statistics announcement, e.g. when a transferee moves region).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import numbers, regions
from core.ui.widgets import RegionPicker

from . import services
from .forms import FORMAT_HELP_TEXTS, change_reason_field
from .models import Achievement, Cluster, Transferee, Transformation, Unit


class NoDeleteHistoryAdmin(SimpleHistoryAdmin):
    """History admin without deletion, whose history pages only show (never revert) a version."""

    def has_delete_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyVersionedAdmin(NoDeleteHistoryAdmin):
    """A versioned record shown read-only: curation happens on the registry pages (services)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RegionPickerAdminMixin:
    """The ``region`` field picked by name (``RegionPicker``) and listed by name, code on hover."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["widget"] = RegionPicker()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("地区"), ordering="region")
    def region_name(self, obj):
        return format_html('<span title="{}">{}</span>', obj.region, regions.label(obj.region))


ADMIN_TITLE_CHARS = 16  # change lists stay within 1440 px: long titles are cut, the full one on hover


def _shortened(text: str, chars: int = ADMIN_TITLE_CHARS):
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(chars))


class MasterDataAdminForm(forms.ModelForm):
    """Units and transferees in the admin: the formats said under the fields, and the optional
    reason of a change (修改原因) that the service keeps in the history."""

    change_reason = change_reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("code", "region"):
            if name in self.fields:
                self.fields[name].help_text = FORMAT_HELP_TEXTS[name]
        if self.instance.pk is None:
            del self.fields["change_reason"]


class MasterDataAdminMixin:
    """The reason of a change is asked when editing only (a new record's entry says 创建)."""

    form = MasterDataAdminForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if obj is not None else [f for f in fields if f != "change_reason"]


def _service_saved(obj, saved) -> None:
    """Let the admin's messages and redirect see the record the service wrote."""
    obj.pk = saved.pk
    obj._state.adding = False


@admin.register(Unit)
class UnitAdmin(MasterDataAdminMixin, RegionPickerAdminMixin, NoDeleteHistoryAdmin):
    list_display = ["name", "code", "type", "region_name", "synthetic"]
    list_filter = ["type", "synthetic"]
    search_fields = ["name", "code", "region"]

    def save_model(self, request, obj, form, change):
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name != "change_reason"}
            saved = services.unit_update(
                unit=obj,
                acting_user=request.user,
                change_reason=form.cleaned_data.get("change_reason", ""),
                **fields,
            )
        else:
            fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
            saved = services.unit_create(acting_user=request.user, **fields)
        _service_saved(obj, saved)


@admin.register(Cluster)
class ClusterAdmin(NoDeleteHistoryAdmin):
    list_display = ["code", "name", "name_en", "base", "is_active"]
    list_filter = ["base", "is_active"]
    search_fields = ["code", "name", "name_en"]


class TransformationInline(admin.TabularInline):
    model = Transformation
    fk_name = "achievement"
    extra = 0
    fields = ["ref", "mode", "transferee", "signed_on", "amount", "received", "status"]
    raw_id_fields = ["transferee"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Achievement)
class AchievementAdmin(ReadOnlyVersionedAdmin):
    list_display = [
        "short_title",
        "ref",
        "short_unit",
        "ip_type",
        "trl_level",
        "cluster_code",
        "convertible",
        "status",
        "registered_on",
    ]
    list_display_links = ["short_title"]
    list_filter = ["status", "convertible", "funded", "ip_type", "trl", "cluster", "unit__type", "synthetic"]
    search_fields = ["title", "keywords", "ref", "patent_no", "unit__name"]
    list_select_related = ["unit", "cluster"]
    raw_id_fields = ["unit", "merged_into"]
    date_hierarchy = "registered_on"
    inlines = [TransformationInline]
    readonly_fields = ["version", "synthetic", "created_at", "updated_at"]

    @admin.display(description=_("成果名称"), ordering="title")
    def short_title(self, obj):
        return _shortened(obj.title)

    @admin.display(description=_("单位"), ordering="unit__name")
    def short_unit(self, obj):
        return _shortened(obj.unit.name, 12)

    @admin.display(description=_("成熟度"), ordering="trl")
    def trl_level(self, obj):
        return format_html('<span title="{}">{}</span>', obj.get_trl_display(), obj.trl)

    @admin.display(description=_("产业集群"), ordering="cluster__code")
    def cluster_code(self, obj):
        if obj.cluster_id is None:
            return self.get_empty_value_display()
        return format_html('<span title="{}">{}</span>', str(obj.cluster), obj.cluster.code)


@admin.register(Transferee)
class TransfereeAdmin(MasterDataAdminMixin, RegionPickerAdminMixin, NoDeleteHistoryAdmin):
    list_display = ["name", "code", "region_name", "is_local"]
    list_filter = ["is_local"]
    search_fields = ["name", "code", "region"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # the credit code never changes

    def save_model(self, request, obj, form, change):
        code = Transferee.objects.values_list("code", flat=True).get(pk=obj.pk) if change else obj.code
        saved = services.transferee_upsert(
            code=code,
            name=obj.name,
            region=obj.region,
            acting_user=request.user,
            change_reason=form.cleaned_data.get("change_reason", ""),
        )
        _service_saved(obj, saved)

    @admin.display(boolean=True, description=_("本地（辽宁）"))
    def is_local(self, obj):
        return obj.is_local


@admin.register(Transformation)
class TransformationAdmin(ReadOnlyVersionedAdmin):
    list_display = [
        "ref",
        "short_achievement",
        "short_unit",
        "mode",
        "short_transferee",
        "signed_on",
        "amount_yuan",
        "status",
    ]
    list_filter = ["status", "mode", "transferee__is_local", "unit__type"]
    search_fields = ["ref", "achievement__title", "transferee__name", "unit__name"]
    list_select_related = ["achievement", "unit", "transferee"]
    raw_id_fields = ["achievement", "unit", "transferee"]
    date_hierarchy = "signed_on"
    readonly_fields = ["version", "synthetic", "created_at", "updated_at"]

    @admin.display(description=_("成果"), ordering="achievement__title")
    def short_achievement(self, obj):
        return _shortened(obj.achievement.title, 12)

    @admin.display(description=_("单位"), ordering="unit__name")
    def short_unit(self, obj):
        return _shortened(obj.unit.name, 12)

    @admin.display(description=_("受让方"), ordering="transferee__name")
    def short_transferee(self, obj):
        return _shortened(obj.transferee.name, 10)

    @admin.display(description=_("合同金额（元）"), ordering="amount")
    def amount_yuan(self, obj):
        return numbers.yuan(obj.amount)  # docs/numbers.md: thousands separators, two decimals
