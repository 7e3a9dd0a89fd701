"""The notifications of the annual reports (core.registry.NotificationEvent; docs/reports.md).

Every transition notifies the other side: a unit's submission reaches department staff; a return,
an acceptance reach the unit's users; reminders reach the users of a late unit."""

from django.utils.translation import gettext_lazy as _

from core.registry import RECIPIENT_STAFF, RECIPIENT_UNIT_USERS, NotificationEvent, register

CYCLE_OPENED = "report_cycle_opened"
SUBMITTED = "report_submitted"
RESUBMITTED = "report_resubmitted"
RETURNED = "report_returned"
ACCEPTED = "report_accepted"
REVISED = "report_revised"
REMINDER = "report_reminder"

register(
    NotificationEvent(
        CYCLE_OPENED,
        _("年度报告填报开始"),
        _("%(year)s年度成果转化年度报告开始填报，截止日期 %(deadline)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=60,
    ),
    NotificationEvent(
        SUBMITTED,
        _("年度报告已提交"),
        _("%(unit)s提交了%(year)s年度报告（第%(revision)s版）"),
        recipients=(RECIPIENT_STAFF,),
        order=61,
    ),
    NotificationEvent(
        RESUBMITTED,
        _("年度报告已重新提交"),
        _("%(unit)s修改后重新提交了%(year)s年度报告（第%(revision)s版）"),
        recipients=(RECIPIENT_STAFF,),
        order=62,
    ),
    NotificationEvent(
        RETURNED,
        _("年度报告被退回"),
        _("厅工作人员退回了%(year)s年度报告（第%(revision)s版），请按审核意见修改：%(note)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=63,
    ),
    NotificationEvent(
        ACCEPTED,
        _("年度报告已通过"),
        _("%(year)s年度报告（第%(revision)s版）已审核通过"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=64,
    ),
    NotificationEvent(
        REVISED,
        _("年度报告发起更正"),
        _("%(unit)s对已通过的%(year)s年度报告发起了更正（第%(revision)s版）"),
        recipients=(RECIPIENT_STAFF,),
        order=65,
    ),
    NotificationEvent(
        REMINDER,
        _("年度报告催报"),
        _("%(year)s年度报告尚未提交，截止日期 %(deadline)s，请尽快填报"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=66,
    ),
)
