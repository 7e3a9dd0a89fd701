from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
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
    def is_unit_user(self) -> bool:
        return self.unit_id is not None

    @property
    def role_label(self) -> str:
        return str(_("厅工作人员")) if self.is_staff else str(_("单位用户"))
