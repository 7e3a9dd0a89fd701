"""The admin: the same rules as every other door.

- Nothing is ever deleted: no model here has a delete permission (hence no "delete selected"
  action), and the history pages cannot revert a record behind the services' back.
- Achievements and contracts (the versioned records) are read-only here: they are curated on the
  registry pages, whose writes go through ``achievements.services`` and ``achievements.policies``.
- Units and transferees are written through the same services as the API (history reason, the
  policy check, and the statistics announcement, e.g. when a transferee moves region).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import regions
from core.ui.widgets import RegionPicker

from . import services
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


def _service_saved(obj, saved) -> None:
    """Let the admin's messages and redirect see the record the service wrote."""
    obj.pk = saved.pk
    obj._state.adding = False


@admin.register(Unit)
class UnitAdmin(RegionPickerAdminMixin, NoDeleteHistoryAdmin):
    list_display = ["name", "code", "type", "region_name", "synthetic"]
    list_filter = ["type", "synthetic"]
    search_fields = ["name", "code", "region"]

    def save_model(self, request, obj, form, change):
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = services.unit_update(unit=obj, acting_user=request.user, **fields)
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
        "title",
        "ref",
        "unit",
        "ip_type",
        "trl",
        "cluster",
        "convertible",
        "status",
        "registered_on",
    ]
    list_filter = ["status", "convertible", "funded", "ip_type", "trl", "cluster", "unit__type", "synthetic"]
    search_fields = ["title", "keywords", "ref", "patent_no", "unit__name"]
    list_select_related = ["unit", "cluster"]
    raw_id_fields = ["unit", "merged_into"]
    date_hierarchy = "registered_on"
    inlines = [TransformationInline]
    readonly_fields = ["version", "synthetic", "created_at", "updated_at"]


@admin.register(Transferee)
class TransfereeAdmin(RegionPickerAdminMixin, NoDeleteHistoryAdmin):
    list_display = ["name", "code", "region_name", "is_local"]
    list_filter = ["is_local"]
    search_fields = ["name", "code", "region"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # the credit code never changes

    def save_model(self, request, obj, form, change):
        code = Transferee.objects.values_list("code", flat=True).get(pk=obj.pk) if change else obj.code
        saved = services.transferee_upsert(
            code=code, name=obj.name, region=obj.region, acting_user=request.user
        )
        _service_saved(obj, saved)

    @admin.display(boolean=True, description=_("本地（辽宁）"))
    def is_local(self, obj):
        return obj.is_local


@admin.register(Transformation)
class TransformationAdmin(ReadOnlyVersionedAdmin):
    list_display = [
        "ref",
        "achievement",
        "unit",
        "mode",
        "transferee",
        "signed_on",
        "amount",
        "received",
        "status",
    ]
    list_filter = ["status", "mode", "transferee__is_local", "unit__type"]
    search_fields = ["ref", "achievement__title", "transferee__name", "unit__name"]
    list_select_related = ["achievement", "unit", "transferee"]
    raw_id_fields = ["achievement", "unit", "transferee"]
    date_hierarchy = "signed_on"
    readonly_fields = ["version", "synthetic", "created_at", "updated_at"]
