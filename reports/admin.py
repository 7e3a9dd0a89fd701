"""Annual reports in the admin: read-only, for superusers only (reports are filed and reviewed on
the pages and through the API, whose services check the workflow; the admin is no door to it)."""

from django.contrib import admin

from .models import AnnualReport


@admin.register(AnnualReport)
class AnnualReportAdmin(admin.ModelAdmin):
    list_display = ("unit", "year", "revision", "status", "is_current", "version", "updated_at")
    list_filter = ("year", "status", "is_current")
    search_fields = ("unit__name", "unit__code")
    list_select_related = ("unit",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
