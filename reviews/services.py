"""Writes of the review workflow, for any ``ReviewedDocument`` (docs/reviews.md).

- ``document_update`` — the owner saves changes to a draft (or a returned document);
- ``document_transition`` — submit, return (with field comments), resubmit, accept;
- ``document_revise`` — a correction after acceptance: the next revision, a draft again.

Each locks the document's row, compares the version the caller read (``StaleVersionError``: 409 in
the API, a message on the pages), checks the policy (inside the transition for the state changes),
writes the log row and notifies the other side in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from core.exceptions import check_version
from notifications.services import notify

from . import policies
from .choices import ReviewAction, ReviewStatus
from .models import FieldComment, ReviewedDocument, ReviewLog

TRANSITIONS = (ReviewAction.SUBMIT, ReviewAction.RETURN, ReviewAction.RESUBMIT, ReviewAction.ACCEPT)


def _locked(document: ReviewedDocument) -> ReviewedDocument:
    return type(document).objects.select_for_update().get(pk=document.pk)


def _log(document, *, action, source, actor, note="") -> ReviewLog:
    return ReviewLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(document)),
        object_id=document.pk,
        action=action,
        source=source,
        target=document.status,
        revision=document.revision,
        actor=actor,
        note=note,
    )


def _notify(document, action: str, actor, note: str = "") -> None:
    event = document.review_events.get(action)
    if event:
        notify(
            event=event,
            obj=document,
            unit=document.review_owner_unit_id,
            actor=actor,
            context={**document.review_notice_context(), "note": note or "—"},
        )


def locked_message(document) -> str:
    return _("%(state)s的文档已锁定，不能修改；通过后如需更正，请发起新修订版。") % {
        "state": document.get_status_display()
    }


def document_update(
    *, document: ReviewedDocument, acting_user, changes: dict, expected_version: int | None
) -> ReviewedDocument:
    """Save the owner's changes (field name → value) to an editable revision."""
    with transaction.atomic():
        current = _locked(document)
        if not policies.is_owner(current, acting_user):
            raise PermissionDenied(_("只有本单位用户可以填写。"))
        check_version(current, expected_version)
        if not current.is_editable:
            raise ValidationError(locked_message(current))
        for name, value in changes.items():
            setattr(current, name, value)
        current.full_clean()
        current.version += 1
        current.save()
    return current


def document_transition(
    *,
    document: ReviewedDocument,
    action: str,
    acting_user,
    expected_version: int | None = None,
    note: str = "",
    comments: Iterable[tuple[str, str]] = (),
) -> ReviewedDocument:
    """Move the document along the state machine. ``comments`` (field key, text) go with a return,
    which needs at least one comment or a note. A transition the state does not allow is a
    ``ValidationError``; a user the policy refuses, ``PermissionDenied``."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown review action {action!r}")
    comments = [(key, text.strip()) for key, text in comments if text and text.strip()]
    with transaction.atomic():
        current = _locked(document)
        if not policies.TRANSITION_POLICIES[action](current, acting_user):
            # Asked first so that a caller without the right learns that (403), whatever the state;
            # the transition asks again itself.
            raise PermissionDenied(_("您无权对该文档执行“%(action)s”。") % {"action": ReviewAction(action).label})
        check_version(current, expected_version)
        labels = current.review_field_labels()
        if action == ReviewAction.RETURN:
            unknown = [key for key, _text in comments if key not in labels]
            if unknown:
                raise ValidationError({"comments": _("没有这个字段：%(keys)s") % {"keys": ", ".join(unknown)}})
            if not comments and not note.strip():
                raise ValidationError({"note": _("退回时请至少填写一条字段意见或退回说明。")})
        elif comments:
            raise ValidationError({"comments": _("只有退回时可以填写字段意见。")})
        source = current.status
        try:
            getattr(current, action)(by=acting_user)
        except TransitionNotAllowed:
            raise ValidationError(
                _("当前状态（%(state)s）不能执行“%(action)s”。")
                % {"state": current.get_status_display(), "action": ReviewAction(action).label}
            ) from None
        current.version += 1
        current.save()
        log = _log(current, action=action, source=source, actor=acting_user, note=note.strip())
        FieldComment.objects.bulk_create(
            FieldComment(log=log, field=key, label=labels[key], text=text) for key, text in comments
        )
        _notify(current, action, acting_user, note.strip())
    return current


def document_revise(
    *, document: ReviewedDocument, acting_user, expected_version: int | None = None, note: str = ""
) -> ReviewedDocument:
    """Open the next revision of an accepted document: a copy of its fields, a draft again, which
    goes through review again. The accepted revision keeps its content (locked, readable); it is no
    longer the current one, which bumps its version, so a second revise of the version the caller
    read (another tab, a retried request) is refused as stale."""
    with transaction.atomic():
        current = _locked(document)
        check_version(current, expected_version)
        if current.status != ReviewStatus.ACCEPTED or not current.is_current:
            raise ValidationError(_("只有最新的已通过修订版可以发起更正。"))
        if not policies.can_revise(current, acting_user):
            raise PermissionDenied(_("只有本单位用户可以发起更正。"))
        model = type(current)
        skip = {"id", model._meta.pk.attname, *current.revision_reset_fields}
        values = {
            field.attname: getattr(current, field.attname)
            for field in model._meta.concrete_fields
            if field.attname not in skip and not getattr(field, "generated", False)
        }
        model.objects.filter(pk=current.pk).update(is_current=False, version=F("version") + 1)
        nxt = model(**values, revision=current.revision + 1, is_current=True)
        nxt.full_clean()
        nxt.save()
        _log(nxt, action=ReviewAction.REVISE, source="", actor=acting_user, note=note.strip())
        _notify(nxt, ReviewAction.REVISE, acting_user, note.strip())
    return nxt


# --- reading -------------------------------------------------------------------------------------


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def revision_diff(older: ReviewedDocument, newer: ReviewedDocument, *, changed_only: bool = True) -> list[dict]:
    """Field by field, the reviewed fields of two revisions: ``{key, label, old, new, changed}``."""
    rows = []
    for key, label in newer.review_fields():
        old, new = older.review_value(key), newer.review_value(key)
        changed = _shown(old) != _shown(new)
        if changed or not changed_only:
            rows.append({"key": key, "label": label, "old": _shown(old), "new": _shown(new), "changed": changed})
    return rows
