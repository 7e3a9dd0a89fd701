from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, LoginAttempt, LoginRecord, User
from .services import api_token_issue, api_token_revoke, login_unlock


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


class _ReadOnlyLoginAdmin(admin.ModelAdmin):
    """What both login admins share: read only, and the columns of an attempt."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("用户名"), ordering="username")
    def username_col(self, obj):
        return obj.username

    @admin.display(description=_("IP 地址"), ordering="ip_address")
    def ip_col(self, obj):
        return obj.ip_address

    @admin.display(description=_("登录页面"))
    def path_col(self, obj):
        return obj.path_info

    @admin.display(description=_("浏览器"))
    def agent_col(self, obj):
        return obj.user_agent


class LockedFilter(admin.SimpleListFilter):
    title = _("锁定状态")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("已锁定")), ("no", _("未锁定"))]

    def queryset(self, request, queryset):
        locked = Q(failures_since_start__gte=settings.AXES_FAILURE_LIMIT) & Q(
            attempt_time__gt=timezone.now() - get_cool_off()
        )
        if self.value() == "yes":
            return queryset.filter(locked)
        if self.value() == "no":
            return queryset.exclude(locked)
        return queryset


@admin.register(LoginAttempt)
class LoginAttemptAdmin(_ReadOnlyLoginAdmin):
    """Failed logins per username + address; staff unlock a locked pair with the action."""

    list_display = ["username_col", "ip_col", "failures_col", "time_col", "path_col", "locked_col"]
    list_filter = [LockedFilter, "attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    actions = ["unlock"]
    fields = ["username_col", "ip_col", "failures_col", "time_col", "path_col", "locked_col", "agent_col"]
    readonly_fields = fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # unlocking is the one way to remove a counter
        return actions

    @admin.display(description=_("连续失败次数"), ordering="failures_since_start")
    def failures_col(self, obj):
        return obj.failures_since_start

    @admin.display(description=_("最近失败时间"), ordering="attempt_time")
    def time_col(self, obj):
        return obj.attempt_time

    @admin.display(description=_("状态"))
    def locked_col(self, obj):
        if obj.failures_since_start >= settings.AXES_FAILURE_LIMIT and (
            obj.attempt_time > timezone.now() - get_cool_off()
        ):
            return _("已锁定")
        return _("未锁定")

    @admin.action(description=_("解除所选账户的登录锁定"), permissions=["delete"])
    def unlock(self, request, queryset):
        count = login_unlock(attempts=queryset)
        self.message_user(
            request,
            _("已解除 %(count)d 条登录锁定（用户名 + IP 地址）。") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(LoginRecord)
class LoginRecordAdmin(_ReadOnlyLoginAdmin):
    """Successful logins and logouts (read only)."""

    list_display = ["username_col", "ip_col", "login_col", "logout_col", "path_col"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = ["username_col", "ip_col", "login_col", "logout_col", "path_col", "agent_col"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("登录时间"), ordering="attempt_time")
    def login_col(self, obj):
        return obj.attempt_time

    @admin.display(description=_("退出时间"), ordering="logout_time")
    def logout_col(self, obj):
        return obj.logout_time
