"""Reads of the notifications app: a user's own notifications only."""

from django.core.cache import cache
from django.db.models import Case, IntegerField, Value, When

from core.registry import notification_events

from .models import EmailPreference, Notification
from .services import UNREAD_CACHE_SECONDS, email_wanted, unread_cache_key


def notification_list(*, user):
    """The user's notifications, with ``unread_rank`` (1 unread, 0 read) for "unread first"."""
    return (
        Notification.objects.for_user(user)
        .select_related("unit")
        .annotate(
            unread_rank=Case(
                When(read_at__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
    )


def unread_count(*, user) -> int:
    """The bell's number: one indexed COUNT, kept in the cache until the user's notifications
    change (the cache is optional: a miss, or a cache that is down, counts again)."""
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.for_user(user).unread().count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def email_choices(*, user) -> dict:
    """What the preferences page shows: e-mails at all, and per declared event whether the user
    gets its e-mail (their choice, or the event's default)."""
    choices = dict(EmailPreference.objects.filter(user=user).values_list("event", "email"))
    return {
        "all_events": choices.get(EmailPreference.ALL_EVENTS, True),
        "events": [
            (kind, email_wanted(kind, {k: v for k, v in choices.items() if k}))
            for kind in notification_events()
        ],
    }
