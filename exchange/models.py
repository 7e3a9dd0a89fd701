"""The state of one import: the uploaded file, who imported it, the preview and the outcome."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    VALIDATING = "validating", _("正在校验")
    PREVIEW_READY = "preview_ready", _("待确认")
    INVALID = "invalid", _("校验未通过")
    IMPORTING = "importing", _("正在导入")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


RUNNING_STATUSES = (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportJob(models.Model):
    """An upload in the exchange format. Status: uploaded → validating → preview_ready / invalid →
    importing → done / failed. Only ``exchange.services`` changes it, with guarded updates."""

    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("导入人"),
    )
    unit = models.ForeignKey(
        "achievements.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("限定单位"),
        help_text=_("单位用户导入时只允许本单位的记录"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED, db_index=True
    )
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    run_async = models.BooleanField(_("后台处理"), default=False)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    counts = models.JSONField(_("变更统计"), default=dict, blank=True)
    changes = models.JSONField(_("变更明细（示例）"), default=list, blank=True)
    errors = models.JSONField(_("问题列表"), default=list, blank=True)
    examples = models.JSONField(_("已忽略的示例行"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("问题数"), default=0)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="importjob_progress_0_100",
                violation_error_message=_("进度应在 0 至 100 之间。"),
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self):
        return reverse("exchange:import_job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES or (
            self.status == ImportStatus.PREVIEW_READY and self.confirmed_at is not None
        )
