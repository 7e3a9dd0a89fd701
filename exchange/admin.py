from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "original_name",
        "user",
        "unit",
        "status",
        "rows",
        "error_count",
        "progress",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("original_name", "user__username")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
