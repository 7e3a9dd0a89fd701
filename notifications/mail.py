"""Sending the e-mail of a notification (``tasks`` call it): claimed first so that it is sent once,
given back to the sweep when the mail server fails, given up after ``EMAIL_MAX_ATTEMPTS``."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .choices import EmailStatus
from .models import Notification

logger = logging.getLogger(__name__)

EMAIL_MAX_ATTEMPTS = 5


def _claim(pk: int) -> bool:
    """Take one pending e-mail for sending (so two workers never send it twice)."""
    return bool(
        Notification.objects.filter(pk=pk, email_status=EmailStatus.PENDING).update(
            email_status=EmailStatus.SENT, emailed_at=timezone.now(), email_attempts=F("email_attempts") + 1
        )
    )


def _give_back(notification: Notification) -> None:
    attempts = notification.email_attempts + 1
    status = EmailStatus.FAILED if attempts >= EMAIL_MAX_ATTEMPTS else EmailStatus.PENDING
    Notification.objects.filter(pk=notification.pk).update(email_status=status, emailed_at=None)


def send_emails(ids: Iterable[int] | None = None) -> dict:
    """Send the pending e-mails of these notifications (all pending ones with ``None``).
    Idempotent: an e-mail already sent (or being sent by another worker) is skipped. A failure is
    logged and the e-mail tried again by a later sweep, at most ``EMAIL_MAX_ATTEMPTS`` times."""
    pending = Notification.objects.filter(email_status=EmailStatus.PENDING).select_related("recipient")
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    sent = failed = 0
    for notification in pending.order_by("pk"):
        if not notification.recipient.email or not _claim(notification.pk):
            continue
        try:
            with translation.override(settings.LANGUAGE_CODE):
                # one line: a reason typed on several lines would make the header invalid
                subject = " ".join(notification.display_title.split())[:200]
                body = render_to_string(
                    "notifications/email.txt",
                    {
                        "notification": notification,
                        "site_url": settings.SITE_URL,
                    },
                )
            send_mail(subject, body, None, [notification.recipient.email])
        except Exception:
            logger.exception("notifications: the e-mail of notification %s failed", notification.pk)
            _give_back(notification)
            failed += 1
        else:
            sent += 1
    return {"sent": sent, "failed": failed}
