"""Writes of the notifications app: ``notify`` (the one way any app notifies), marking read, the
e-mail preferences, and sending the e-mails.

``notify`` resolves the recipients of a declared event (``core.registry.NotificationEvent``, in the
sending app's ``events.py``), leaves the actor out, writes one row per recipient in one query inside
the caller's transaction, and queues the e-mails once that transaction commits. Queueing uses
``core.broker.publish_quickly`` and never raises: a broker that is down leaves the e-mails
``pending`` in the rows, and the sweep (every minute, and when a worker starts) sends them later.
A mail server that fails is the same: the e-mail stays pending and is tried again, up to
``mail.EMAIL_MAX_ATTEMPTS`` times. The write that caused the notification is never failed by either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation

from core.broker import publish_quickly
from core.registry import (
    RECIPIENT_STAFF,
    RECIPIENT_UNIT_USERS,
    RECIPIENT_USER,
    notification_event,
)

from .choices import EmailStatus
from .models import EmailPreference, Notification
from .tasks import send_notification_emails_task

logger = logging.getLogger(__name__)

UNREAD_CACHE_SECONDS = 300


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def forget_unread_counts(user_ids: Iterable[int]) -> None:
    """Drop the cached bell counts of these users, now and again once the transaction commits (so
    a page read in between cannot keep the old count). The cache is optional: errors are logged."""
    keys = [unread_cache_key(pk) for pk in set(user_ids)]
    if not keys:
        return

    def forget():
        try:
            cache.delete_many(keys)
        except Exception:
            logger.exception("notifications: could not forget the cached unread counts")

    forget()
    transaction.on_commit(forget, robust=True)


def _pk(value) -> int | None:
    return value.pk if isinstance(value, models.Model) else value


def _recipients(kind, *, unit_id, user_id, actor_id) -> list[tuple[int, str]]:
    """(id, e-mail address) of the active users the event reaches, without the actor. One query."""
    wanted = Q(pk__in=[])
    if RECIPIENT_USER in kind.recipients and user_id is not None:
        wanted |= Q(pk=user_id)
    if RECIPIENT_UNIT_USERS in kind.recipients and unit_id is not None:
        wanted |= Q(unit_id=unit_id)
    if RECIPIENT_STAFF in kind.recipients:
        wanted |= Q(is_staff=True)
    users = get_user_model().objects.filter(wanted, is_active=True)
    if actor_id is not None:
        users = users.exclude(pk=actor_id)
    return list(users.order_by("pk").values_list("pk", "email"))


def email_wanted(kind, choices: dict[str, bool]) -> bool:
    """Whether a user gets this event's e-mail, given their choices (event code or ``""`` for all
    → yes/no): all off wins, then the event's own choice, then the event's default."""
    if choices.get(EmailPreference.ALL_EVENTS) is False:
        return False
    return choices.get(kind.name, kind.email)


def _choices_of(user_ids: list[int], event: str) -> dict[int, dict[str, bool]]:
    rows = EmailPreference.objects.filter(user_id__in=user_ids, event__in=(event, EmailPreference.ALL_EVENTS))
    choices: dict[int, dict[str, bool]] = {}
    for user_id, code, email in rows.values_list("user_id", "event", "email"):
        choices.setdefault(user_id, {})[code] = email
    return choices


def notify(
    *,
    event: str,
    obj=None,
    unit=None,
    actor=None,
    user=None,
    context: dict | None = None,
) -> list[Notification]:
    """Notify the recipients of ``event`` about ``obj`` (a record with ``get_absolute_url``).

    ``unit`` (a unit or its id; default: ``obj.unit_id``) is whose users the rule "unit_users"
    reaches; ``user`` is the user the rule "user" names (e.g. an import's uploader); ``actor`` did
    the act and is never notified of it; ``context`` fills the event's title (strings). Runs inside
    the caller's transaction; the e-mails are queued after it commits. Returns the rows written.
    """
    kind = notification_event(event)
    if kind is None:
        raise ImproperlyConfigured(f"notification event {event!r} is not declared (core.registry)")
    unit_id = _pk(unit) if unit is not None else getattr(obj, "unit_id", None)
    recipients = _recipients(kind, unit_id=unit_id, user_id=_pk(user), actor_id=_pk(actor))
    if not recipients:
        return []
    context = {key: str(value) for key, value in (context or {}).items()}
    with translation.override(settings.LANGUAGE_CODE):
        try:
            title = str(kind.title) % context
        except (KeyError, TypeError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"notification event {event!r}: context does not fill the title"
            ) from exc
    url = ""
    content_type = object_id = None
    if obj is not None:
        url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
        content_type = ContentType.objects.get_for_model(type(obj))
        object_id = obj.pk
    choices = _choices_of([pk for pk, _email in recipients], event)
    rows = [
        Notification(
            recipient_id=pk,
            event=event,
            title=title[:300],
            context=context,
            url=url[:500],
            content_type=content_type,
            object_id=object_id,
            unit_id=unit_id,
            actor_id=_pk(actor),
            email_status=(
                EmailStatus.PENDING if email and email_wanted(kind, choices.get(pk, {})) else EmailStatus.NONE
            ),
        )
        for pk, email in recipients
    ]
    Notification.objects.bulk_create(rows)
    forget_unread_counts(pk for pk, _email in recipients)
    pending = [row.pk for row in rows if row.email_status == EmailStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: queue_emails(pending), robust=True)
    return rows


def queue_emails(ids: list[int]) -> bool:
    """Queue the e-mails of these notifications, bounded in time; False (logged) when the broker
    does not take them: they stay pending for the sweep."""
    try:
        publish_quickly(send_notification_emails_task, args=[list(ids)])
    except Exception:
        logger.exception("notifications: could not queue %d e-mails; the sweep sends them later", len(ids))
        return False
    return True


# --- reading -----------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, acting_user) -> bool:
    """Mark one of the user's own notifications read; False when it already was."""
    if notification.recipient_id != acting_user.pk:
        raise Notification.DoesNotExist
    changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        forget_unread_counts([acting_user.pk])
    return bool(changed)


def notification_mark_all_read(*, acting_user) -> int:
    """Mark all of the user's notifications read; returns how many were unread."""
    changed = Notification.objects.filter(recipient=acting_user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        forget_unread_counts([acting_user.pk])
    return changed


@transaction.atomic
def email_preferences_save(*, user, all_events: bool, events: dict[str, bool]) -> None:
    """Store the user's e-mail choices: ``all_events`` False stops every e-mail; ``events`` maps
    event codes to yes/no. Only choices that differ from the defaults are kept as rows."""
    EmailPreference.objects.filter(user=user).delete()
    rows = []
    if not all_events:
        rows.append(EmailPreference(user=user, event=EmailPreference.ALL_EVENTS, email=False))
    for code, email in events.items():
        kind = notification_event(code)
        if kind is not None and bool(email) != kind.email:
            rows.append(EmailPreference(user=user, event=code, email=bool(email)))
    EmailPreference.objects.bulk_create(rows)
