"""Account writes: every user is created through one of these so that role, group and unit agree."""

import datetime
import secrets

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken, User
from .roles import STAFF_GROUP, UNIT_GROUP


@transaction.atomic
def user_create_staff(*, username: str, password: str, superuser: bool = False, **fields) -> User:
    user = User(username=username, is_staff=True, is_superuser=superuser, unit=None, **fields)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


@transaction.atomic
def user_create_unit_user(*, username: str, password: str, unit, **fields) -> User:
    user = User(username=username, is_staff=False, is_superuser=False, unit=unit, **fields)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=UNIT_GROUP))
    return user


# --- API tokens -----------------------------------------------------------------------------


def _new_api_key() -> str:
    return ApiToken.KEY_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_token_issue(*, token: ApiToken) -> str:
    """Give an unsaved token a fresh key, save it with only the key's hash, and return the key.

    The key is not stored anywhere: the caller shows it once to whoever asked for it.
    """
    key = _new_api_key()
    token.key_prefix = key[: ApiToken.DISPLAY_PREFIX_LENGTH]
    token.key_hash = ApiToken.hash_key(key)
    token.full_clean()
    token.save()
    return key


def api_token_create(
    *,
    user: User,
    name: str,
    description: str = "",
    read_only: bool = False,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the token and its key (shown once)."""
    token = ApiToken(
        user=user, name=name, description=description, read_only=read_only, expires_at=expires_at
    )
    key = api_token_issue(token=token)
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good (kept for the record; it no longer authenticates)."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def api_token_touch(*, token: ApiToken, every: datetime.timedelta = datetime.timedelta(minutes=1)) -> None:
    """Record that a token was used, writing at most once per ``every`` (one conditional UPDATE)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < every:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - every)
    ).update(last_used_at=now)
    token.last_used_at = now


def login_unlock(*, attempts) -> int:
    """Unlock login for the selected username + address pairs (django-axes counters) before their
    cool-off ends: the counters are removed, so the next attempt starts from zero. Returns how many
    pairs were unlocked."""
    count, _ = attempts.delete()
    return count
