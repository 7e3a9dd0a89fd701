"""In-app notifications and each user's e-mail preferences.

A notification is written by ``services.notify`` only, one row per recipient, in the transaction of
the write that caused it: the rows are the durable record, the e-mail follows after commit.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.registry import notification_event

from .choices import EmailStatus


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's own notifications (nobody sees another's, staff included)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    event = models.CharField(_("事件"), max_length=64)
    title = models.CharField(
        _("内容"), max_length=300, help_text=_("写入时以默认语言生成；显示时按读者的语言重新生成")
    )
    context = models.JSONField(_("参数"), default=dict, blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    unit = models.ForeignKey(
        "achievements.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("单位"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    email_status = models.CharField(
        _("邮件"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(_("邮件发送次数"), default=0)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the bell's unread count and the list (unread first, newest first)
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
            # the sweep of e-mails still to send
            models.Index(
                fields=["created_at"],
                name="notification_email_pending",
                condition=Q(email_status="pending"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(emailed_at__isnull=True) | Q(email_status="sent"),
                name="notification_emailed_only_when_sent",
                violation_error_message=_("只有已发送的通知邮件才有发送时间。"),
            ),
        ]

    def __str__(self):
        return self.display_title

    def get_absolute_url(self):
        return reverse("notifications:list")

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind(self):
        return notification_event(self.event)

    @property
    def event_label(self) -> str:
        kind = self.kind
        return str(kind.label) if kind is not None else self.event

    @property
    def display_title(self) -> str:
        """The text in the active language, from the event's title and the stored context (the
        stored title when the event is no longer declared or the context does not fit)."""
        kind = self.kind
        if kind is None:
            return self.title
        try:
            return str(kind.title) % self.context
        except (KeyError, TypeError, ValueError):
            return self.title


class EmailPreference(models.Model):
    """A user's choice about e-mails: for one event, or for all (``event`` empty). Without a row
    the event's default applies; "no e-mail at all" wins over every per-event choice."""

    ALL_EVENTS = ""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_preferences",
        verbose_name=_("用户"),
    )
    event = models.CharField(_("事件"), max_length=64, blank=True)
    email = models.BooleanField(_("接收邮件"))

    class Meta:
        verbose_name = _("邮件通知设置")
        verbose_name_plural = _("邮件通知设置")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"],
                name="emailpreference_one_per_user_event",
                violation_error_message=_("每个用户对每类事件只有一项邮件设置。"),
            ),
        ]

    def __str__(self):
        return f"{self.user_id}:{self.event or '*'}={self.email}"
