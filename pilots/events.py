"""The notifications of pilot-test requests (core.registry.NotificationEvent; docs/notifications.md):
each step tells the other side — the base's operating unit when a request arrives or is withdrawn,
the achievement's unit when the base answers, starts or completes."""

from django.utils.translation import gettext_lazy as _

from core.registry import RECIPIENT_STAFF, RECIPIENT_UNIT_USERS, NotificationEvent, register

REQUEST_SENT = "pilot_request_sent"
REQUEST_ACCEPTED = "pilot_request_accepted"
REQUEST_DECLINED = "pilot_request_declined"
REQUEST_STARTED = "pilot_request_started"
REQUEST_COMPLETED = "pilot_request_completed"
REQUEST_CANCELLED = "pilot_request_cancelled"

register(
    NotificationEvent(
        REQUEST_SENT,
        _("收到中试申请"),
        _("基地“%(base)s”收到成果“%(achievement)s”的中试申请"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=80,
    ),
    NotificationEvent(
        REQUEST_ACCEPTED,
        _("中试申请已受理"),
        _("基地“%(base)s”受理了成果“%(achievement)s”的中试申请"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=81,
    ),
    NotificationEvent(
        REQUEST_DECLINED,
        _("中试申请被拒绝"),
        _("基地“%(base)s”拒绝了成果“%(achievement)s”的中试申请：%(reason)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=82,
    ),
    NotificationEvent(
        REQUEST_STARTED,
        _("中试已开始"),
        _("基地“%(base)s”开始了成果“%(achievement)s”的中试"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=83,
        email=False,
    ),
    NotificationEvent(
        REQUEST_COMPLETED,
        _("中试已完成"),
        _("基地“%(base)s”完成了成果“%(achievement)s”的中试"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=84,
    ),
    NotificationEvent(
        REQUEST_CANCELLED,
        _("中试申请被撤销"),
        _("成果“%(achievement)s”发往基地“%(base)s”的中试申请已撤销"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=85,
        email=False,
    ),
)

# The performance reports' review (reviews: the operator's acts reach staff, staff's the operator).
register(
    NotificationEvent(
        "pilot_report_submitted",
        _("绩效报告已提交"),
        _("%(base)s提交了%(year)s年度绩效报告（第%(revision)s版）"),
        recipients=(RECIPIENT_STAFF,),
        order=70,
    ),
    NotificationEvent(
        "pilot_report_resubmitted",
        _("绩效报告已重新提交"),
        _("%(base)s修改后重新提交了%(year)s年度绩效报告（第%(revision)s版）"),
        recipients=(RECIPIENT_STAFF,),
        order=71,
    ),
    NotificationEvent(
        "pilot_report_returned",
        _("绩效报告被退回"),
        _("厅工作人员退回了%(base)s %(year)s年度绩效报告（第%(revision)s版）：%(note)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=72,
    ),
    NotificationEvent(
        "pilot_report_accepted",
        _("绩效报告已通过"),
        _("%(base)s %(year)s年度绩效报告（第%(revision)s版）已审核通过"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=73,
    ),
    NotificationEvent(
        "pilot_report_revised",
        _("绩效报告发起更正"),
        _("%(base)s对已通过的%(year)s年度绩效报告发起了更正（第%(revision)s版）"),
        recipients=(RECIPIENT_STAFF,),
        order=74,
    ),
)
