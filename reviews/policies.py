"""Who may do what with a filed document (the review workflow's predicates).

Each predicate takes the document and the user (the order django-fsm-2 hands a transition's
``permission``). ``None`` is the system itself (commands, the demo seeder), as in
``accounts.roles``. The owner's users are the users of ``document.review_owner_unit_id``; staff
are department staff. The transitions check these themselves (``models.guarded_transition``), so
every door — page, API, admin, command — goes through them.
"""

from __future__ import annotations

from accounts.roles import is_staff, unit_of

from .choices import EDITABLE_STATES, WAITING_STATES, ReviewStatus


def is_owner(document, user) -> bool:
    """A user of the unit that owns the document (not staff)."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False) or is_staff(user):
        return False
    unit_id = unit_of(user)
    return unit_id is not None and unit_id == document.review_owner_unit_id


def is_reviewer(document, user) -> bool:
    """Department staff (or the system)."""
    if user is None:
        return True
    return bool(getattr(user, "is_authenticated", False)) and is_staff(user)


def can_read(document, user) -> bool:
    """The owner's users read all of theirs; staff read every document that is not a draft (a
    draft is the owner's alone: staff see that it exists and its state, never its content)."""
    if is_owner(document, user):
        return True
    return is_reviewer(document, user) and document.status != ReviewStatus.DRAFT


def can_edit(document, user) -> bool:
    return document.status in EDITABLE_STATES and is_owner(document, user)


def can_submit(document, user) -> bool:
    return is_owner(document, user)


def can_review(document, user) -> bool:
    return is_reviewer(document, user)


def can_revise(document, user) -> bool:
    """A correction after acceptance: the owner opens the next revision of the latest one."""
    return document.status == ReviewStatus.ACCEPTED and document.is_current and is_owner(document, user)


def waiting(document) -> bool:
    return document.status in WAITING_STATES


# Who may take each transition (the method names of ``ReviewedDocument``).
TRANSITION_POLICIES = {
    "submit": can_submit,
    "resubmit": can_submit,
    "return_for_changes": can_review,
    "accept": can_review,
}
