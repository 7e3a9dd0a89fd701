"""Sending the e-mails of notifications. Thin and idempotent: ids in, and a notification's
``email_status`` makes a repeated delivery (or the sweep) skip what was sent."""

import logging

from celery import shared_task

from . import mail

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def send_notification_emails_task(notification_ids: list[int]) -> dict:
    return mail.send_emails(notification_ids)


@shared_task(ignore_result=True)
def sweep_notification_emails_task() -> dict:
    """Send every e-mail still pending: queued while the broker was down, or failed earlier."""
    return mail.send_emails(None)


def sweep_at_worker_start(sender=None, **kwargs) -> None:
    """``worker_ready`` receiver: queue one sweep as the worker starts."""
    try:
        sweep_notification_emails_task.apply_async()
    except Exception:
        logger.exception("notifications: could not queue the e-mail sweep at worker start")
