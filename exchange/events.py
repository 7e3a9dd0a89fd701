"""The notifications the import sends (core.registry.NotificationEvent; docs/notifications.md):
to the uploader, when the file's check is done (preview ready), when the import is written, and
when it failed or did not pass the check."""

from django.utils.translation import gettext_lazy as _

from core.registry import RECIPIENT_USER, NotificationEvent, register

PREVIEW_READY = "import_preview_ready"
DONE = "import_done"
FAILED = "import_failed"

register(
    NotificationEvent(
        PREVIEW_READY,
        _("导入待确认"),
        _("导入文件“%(name)s”已校验通过，请查看预览并确认导入"),
        recipients=(RECIPIENT_USER,),
        email=False,
        order=10,
    ),
    NotificationEvent(
        DONE,
        _("导入完成"),
        _("导入文件“%(name)s”已导入完成"),
        recipients=(RECIPIENT_USER,),
        order=11,
    ),
    NotificationEvent(
        FAILED,
        _("导入未成功"),
        _("导入文件“%(name)s”未能导入，未写入任何数据，请查看原因"),
        recipients=(RECIPIENT_USER,),
        order=12,
    ),
)
