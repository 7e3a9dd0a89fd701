"""Who may do what with incentives: the one place the rules are written (services, pages, API and
admin ask these predicates).

- department staff manage rules and parameters, run evaluations, approve, reject and mark paid,
  and accept or reject justifications;
- a unit user sees the awards of their own unit (as owning unit of the contract) and their own
  unit's entries on the use-before-transfer list, and files justifications for them;
- the published use-before-transfer list is open to everyone, without login.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff, unit_of

MSG_STAFF_ONLY = _("只有厅工作人员可以管理激励规则、审批和支付奖补。")
MSG_JUSTIFY = _("只有成果完成单位可以提交未转化理由。")


def can_manage(user) -> bool:
    """Rules, parameters, evaluations, approval, payment, justification decisions."""
    return is_staff(user)


def can_view_awards(user) -> bool:
    return is_staff(user) or unit_of(user) is not None


def can_justify(user, unit_id: int | None) -> bool:
    """The owning unit files the justification of its listed achievement (staff may file for it)."""
    return is_staff(user) or (unit_of(user) is not None and unit_of(user) == unit_id)


def require(allowed: bool, message=MSG_STAFF_ONLY) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_manage(user) -> None:
    """``None`` is the system itself (commands, tasks, data migrations): trusted."""
    if user is not None:
        require(can_manage(user))
