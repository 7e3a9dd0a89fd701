from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Achievement, Cluster, Transferee, Transformation, Unit


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "type", "region", "synthetic"]
    list_filter = ["type", "synthetic"]
    search_fields = ["name", "code", "region"]


@admin.register(Cluster)
class ClusterAdmin(SimpleHistoryAdmin):
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


@admin.register(Achievement)
class AchievementAdmin(SimpleHistoryAdmin):
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
class TransfereeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "region", "is_local"]
    list_filter = ["is_local"]
    search_fields = ["name", "code", "region"]

    @admin.display(boolean=True, description=_("本地（辽宁）"))
    def is_local(self, obj):
        return obj.is_local


@admin.register(Transformation)
class TransformationAdmin(SimpleHistoryAdmin):
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
