from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    """The e-mail of one notification: none wanted (opted out, no address, the event sends none),
    waiting to be sent, sent, or given up after ``services.EMAIL_MAX_ATTEMPTS`` failures."""

    NONE = "none", _("不发送")
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
