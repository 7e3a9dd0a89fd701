"""The notifications the incentives app sends (core.registry.NotificationEvent;
docs/notifications.md): to the users of the owning unit when staff decide on or pay one of its
awards, when one of its achievements is put on the use-before-transfer list, and when staff decide
on its justification."""

from django.utils.translation import gettext_lazy as _

from core.registry import RECIPIENT_UNIT_USERS, NotificationEvent, register

AWARD_APPROVED = "incentive_award_approved"
AWARD_REJECTED = "incentive_award_rejected"
AWARD_PAID = "incentive_award_paid"
LISTED = "use_before_transfer_listed"
JUSTIFICATION_DECIDED = "use_before_transfer_justification_decided"

register(
    NotificationEvent(
        AWARD_APPROVED,
        _("奖补获批准"),
        _("%(rule)s：%(subject)s 的 %(year)s 年度奖补 %(amount)s 元已批准。%(comment)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=60,
    ),
    NotificationEvent(
        AWARD_REJECTED,
        _("奖补未获批准"),
        _("%(rule)s：%(subject)s 的 %(year)s 年度奖补未获批准：%(comment)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=61,
    ),
    NotificationEvent(
        AWARD_PAID,
        _("奖补已支付"),
        _("%(rule)s：%(subject)s 的 %(year)s 年度奖补 %(amount)s 元已于 %(paid_on)s 支付。"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=62,
    ),
    NotificationEvent(
        LISTED,
        _("成果列入先使用后付费清单"),
        _("成果 %(ref)s「%(title)s」授权满 %(years)s 年未转化，已列入先使用后付费清单；如有正当理由请提交说明。"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=63,
    ),
    NotificationEvent(
        JUSTIFICATION_DECIDED,
        _("未转化理由审核结果"),
        _("成果 %(ref)s「%(title)s」的未转化理由%(decision)s。%(comment)s"),
        recipients=(RECIPIENT_UNIT_USERS,),
        order=64,
    ),
)
