"""The admin of the pilot bases, for department staff: the managed list of services (written
here), and the register and requests read-only (they are written on the pilot pages, through
``pilots.services``). Nothing is deleted."""

from django.contrib import admin

from achievements.admin import NoDeleteHistoryAdmin, ReadOnlyVersionedAdmin

from .models import PilotBase, PilotRequest, PilotService


@admin.register(PilotService)
class PilotServiceAdmin(NoDeleteHistoryAdmin):
    list_display = ["code", "name", "name_en", "order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(PilotBase)
class PilotBaseAdmin(ReadOnlyVersionedAdmin):
    list_display = ["code", "name", "operator", "city", "designated_year", "status"]
    list_filter = ["status", "city", "designated_year"]
    search_fields = ["code", "name", "operator__name"]
    list_select_related = ["operator"]


@admin.register(PilotRequest)
class PilotRequestAdmin(ReadOnlyVersionedAdmin):
    list_display = ["pk", "achievement", "base", "status", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["achievement", "base"]
    raw_id_fields = ["achievement", "base"]
