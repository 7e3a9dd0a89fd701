"""Who may do what with the pilot bases: the one place the rules are written (named predicates,
like ``achievements.policies``). The services check them on every write; the pages ask them to
show or hide buttons and answer 403.

- department staff (and the system, ``None``): everything;
- a user of a base's operating unit (the operator): their own base's capacities, services and
  contact, its performance reports, and the requests sent to it (accept, decline, start, complete);
- a unit user: requests for their own unit's achievements (create, send, cancel);
- everybody signed in: read the register.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff, unit_of

MSG_STAFF_ONLY = _("只有厅工作人员可以办理此项。")
MSG_NOT_OPERATOR = _("只有基地运营单位的用户或厅工作人员可以办理本基地的事项。")
MSG_NOT_REQUESTER = _("只能为本单位的成果申请中试，或撤销本单位的申请。")
MSG_NO_UNIT = _("您的账号未关联任何单位。")

# Fields of a base its operator may change (the rest: staff).
OPERATOR_FIELDS = frozenset(
    {
        "site_area_m2",
        "equipment_count",
        "staff_count",
        "contact_name",
        "contact_phone",
        "contact_email",
        "services",
    }
)


def require(allowed: bool, message) -> None:
    if not allowed:
        raise PermissionDenied(message)


def operates(user, base) -> bool:
    """The user belongs to the base's operating unit."""
    return unit_of(user) is not None and base is not None and unit_of(user) == base.operator_id


def can_read_register(user) -> bool:
    """The register (bases, their capacities and status) is a shared record: every signed-in user
    (and the system, ``None``) reads it, on its pages, through the API and in the exports."""
    return user is None or bool(getattr(user, "is_authenticated", False))


def can_read_funds(user) -> bool:
    """The provincial funds per base and year are public within the system (the base's page and the
    API's ``provincial_funds``): the same readers as the register."""
    return can_read_register(user)


def can_manage_register(user) -> bool:
    """Create bases, change their status, code, operator, designation; record funds; rubric; ratings."""
    return is_staff(user)


def can_edit_base(user, base) -> bool:
    return is_staff(user) or operates(user, base)


def can_file_report(user, base) -> bool:
    """File the base's performance report: its operator's users (staff review it; the system,
    ``None``, for the demo data). Who submits, reviews and revises is the review workflow's rule
    (``reviews.policies``), asked by its transitions."""
    return user is None or operates(user, base)


def can_request(user, achievement_unit_id: int | None = None) -> bool:
    """Ask for a pilot test: staff (also on behalf of an enterprise) or a user of the achievement's unit."""
    if is_staff(user):
        return True
    if unit_of(user) is None:
        return False
    return achievement_unit_id is None or unit_of(user) == achievement_unit_id


def can_act_as_requester(user, request) -> bool:
    return is_staff(user) or (unit_of(user) is not None and unit_of(user) == request.achievement.unit_id)


def can_act_as_operator(user, request) -> bool:
    return is_staff(user) or operates(user, request.base)


def can_read_all_requests(user) -> bool:
    """Every pilot-test request: staff and the system (``None``); a unit user reads those of their
    unit's achievements and those sent to the bases their unit operates (``reader_unit``)."""
    return is_staff(user)


def reader_unit(user) -> int | None:
    """The unit whose own records a signed-in unit user reads: the requests for its achievements
    or sent to its bases, its bases' performance reports (``None``: no unit, or not signed in)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return unit_of(user)


def can_read_all_reports(user) -> bool:
    """Every revision of every performance report, drafts included: the system alone (``None``, the
    demo seeder and the commands). Staff read the filed ones (``can_review_reports``), the
    operator's users their bases' (``reviews.policies.can_read``)."""
    return user is None


def can_review_reports(user) -> bool:
    """Staff: every performance report that is not a draft (a draft is the operator's alone)."""
    return bool(getattr(user, "is_authenticated", False)) and is_staff(user)


def can_see_request_queue(user) -> bool:
    """The staff view of open requests and waiting times."""
    return is_staff(user)
