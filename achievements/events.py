"""The notifications the registry sends (core.registry.NotificationEvent; docs/notifications.md).
Sent by ``achievements.services`` when department staff withdraw, restore, merge or mark
convertible a record: to the users of the record's unit."""

from django.utils.translation import gettext_lazy as _

from core.registry import RECIPIENT_UNIT_USERS, NotificationEvent, register

WITHDRAWN = "achievement_withdrawn"
RESTORED = "achievement_restored"
MERGED = "achievement_merged"
CONVERTIBLE = "achievement_convertible"

register(
    NotificationEvent(
        WITHDRAWN,
        _("成果被撤回"),
        _("厅工作人员撤回了成果 %(ref)s「%(title)s」：%(reason)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=20,
    ),
    NotificationEvent(
        RESTORED,
        _("成果被恢复"),
        _("厅工作人员恢复了成果 %(ref)s「%(title)s」"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=21,
    ),
    NotificationEvent(
        MERGED,
        _("重复成果被合并"),
        _("厅工作人员将成果 %(duplicate)s 作为重复记录合并至 %(ref)s「%(title)s」：%(reason)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=22,
    ),
    NotificationEvent(
        CONVERTIBLE,
        _("成果被标记为可转化"),
        _("厅工作人员将成果 %(ref)s「%(title)s」标记为可转化"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=23,
    ),
)
