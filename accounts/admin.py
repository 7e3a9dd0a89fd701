from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User
from .services import api_token_issue, api_token_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "is_staff", "unit", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "unit__type", "groups"]
    search_fields = ["username", "first_name", "last_name", "email", "unit__name"]
    raw_id_fields = ["unit"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("所属单位"), {"fields": ["unit"]}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("所属单位"), {"fields": ["is_staff", "unit"]}),)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff issue and revoke API tokens. The key is shown once, right after it is issued."""

    list_display = [
        "name",
        "user",
        "key_prefix",
        "read_only",
        "state",
        "expires_at",
        "last_used_at",
        "created_at",
    ]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter), "user__is_staff"]
    search_fields = ["name", "description", "key_prefix", "user__username", "user__unit__name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["revoke_tokens"]
    add_fields = ["user", "name", "description", "read_only", "expires_at"]
    readonly_fields = [
        "user",
        "key_prefix",
        "read_only",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return [
            "user",
            "name",
            "description",
            "key_prefix",
            "read_only",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the token stays on record

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            # Only a superuser may issue tokens that act as a superuser.
            kwargs["queryset"] = User.objects.filter(is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("状态"))
    def state(self, obj):
        if obj.is_revoked:
            return _("已吊销")
        if obj.is_expired():
            return _("已过期")
        return _("有效")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key = api_token_issue(token=obj)
        messages.warning(
            request,
            format_html(
                _("令牌“{name}”的密钥（只显示这一次，请立即复制保存）：{key}"),
                name=obj.name,
                key=format_html("<code>{}</code>", key),
            ),
        )

    @admin.action(description=_("吊销所选令牌"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        self.message_user(request, _("已吊销 %(count)d 个令牌。") % {"count": count}, messages.SUCCESS)
