from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "is_staff", "unit", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "unit__type", "groups"]
    search_fields = ["username", "first_name", "last_name", "email", "unit__name"]
    raw_id_fields = ["unit"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("所属单位"), {"fields": ["unit"]}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("所属单位"), {"fields": ["is_staff", "unit"]}),)
