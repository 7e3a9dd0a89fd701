"""Who may do what with annual reports. The review acts (submit, return, accept, revise) are the
workflow's predicates (``reviews.policies``), checked inside the transitions; these are the
report-specific ones."""

from __future__ import annotations

from accounts.roles import is_staff, unit_of
from reviews import policies as review_policies


def can_manage_cycles(user) -> bool:
    """Open a cycle, send reminders, export the province's workbook: department staff."""
    return bool(getattr(user, "is_authenticated", False)) and is_staff(user)


def can_file_reports(user) -> bool:
    """A unit user (the unit's own reports)."""
    return bool(getattr(user, "is_authenticated", False)) and not is_staff(user) and unit_of(user) is not None


def can_see_reports(user) -> bool:
    return can_manage_cycles(user) or can_file_reports(user)


def can_edit_report(user, report) -> bool:
    return review_policies.can_edit(report, user)


def can_create_report(user, unit_id: int | None) -> bool:
    return can_file_reports(user) and unit_of(user) == unit_id


def is_report_owner(user, report) -> bool:
    """A user of the report's unit (the pages that act on its draft answer 403 to anyone else)."""
    return review_policies.is_owner(report, user) and user is not None
