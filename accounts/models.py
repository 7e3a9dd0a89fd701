import hashlib

from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A user is either department staff (``is_staff``, no unit) or belongs to exactly one unit."""

    unit = models.ForeignKey(
        "achievements.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("所属单位"),
        help_text=_("单位用户必须填写所属单位；厅工作人员不填写。"),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_staff=True, unit__isnull=True) | Q(is_staff=False, unit__isnull=False),
                name="user_staff_xor_unit",
                violation_error_message=_(
                    "用户要么是厅工作人员（不属于任何单位），要么属于且仅属于一个单位。"
                ),
            ),
        ]

    @property
    def role_label(self) -> str:
        return str(_("厅工作人员")) if self.is_staff else str(_("单位用户"))


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens that authenticate: not revoked and not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    """A per-client key for the REST API (``Authorization: Token <key>``).

    Only the SHA-256 hash of the key is stored; the key itself is shown once, when it is issued
    (``accounts.services.api_token_issue``). A token acts as its user, with that user's unit scope
    and permissions; a read-only token may only read.
    """

    KEY_PREFIX = "lntt_"
    DISPLAY_PREFIX_LENGTH = 12

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(
        _("名称"), max_length=100, help_text=_("使用该令牌的客户端系统，例如“某大学成果管理系统”")
    )
    description = models.TextField(_("说明"), blank=True)
    key_prefix = models.CharField(
        _("令牌前缀"), max_length=16, editable=False, help_text=_("用于识别令牌，不能用于认证")
    )
    key_hash = models.CharField(_("令牌哈希（SHA-256）"), max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(
        _("只读"), default=False, help_text=_("只读令牌只能查询，不能新增或修改数据")
    )
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True, help_text=_("留空表示不过期"))
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginAttempt(AccessAttempt):
    """django-axes' failed-login counter per username + client address, shown in the admin in Chinese
    (a proxy: the rows are axes' own). Deleting a row unlocks that pair."""

    class Meta:
        proxy = True
        verbose_name = _("登录失败与锁定")
        verbose_name_plural = _("登录失败与锁定")


class LoginRecord(AccessLog):
    """django-axes' log of successful logins and logouts, shown in the admin in Chinese (a proxy)."""

    class Meta:
        proxy = True
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
