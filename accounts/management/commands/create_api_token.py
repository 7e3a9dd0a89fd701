"""Issue an API token for a user and print its key (shown only this once).

    python manage.py create_api_token USERNAME [--name NAME] [--read-only] [--expires-days N]

The key alone goes to standard output, so that a script can capture it:
``KEY=$(python manage.py create_api_token alice --read-only)``; the details go to standard error.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print its key (it is not stored and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="client system using the token (default: 'cli')")
        parser.add_argument("--description", default="")
        parser.add_argument("--read-only", action="store_true", help="the token may only read (GET)")
        parser.add_argument("--expires-days", type=int, default=None, help="expire after N days")

    def handle(self, *args, username, name, description, read_only, expires_days, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + datetime.timedelta(days=expires_days) if expires_days else None
        token, key = api_token_create(
            user=user,
            name=name or "cli",
            description=description,
            read_only=read_only,
            expires_at=expires_at,
        )
        scope = "all units" if user.is_staff else f"unit {user.unit.code}"
        self.stderr.write(
            f"Token {token.key_prefix}… for {user.username} ({scope}), "
            f"{'read-only' if read_only else 'read-write'}, "
            f"{'expires ' + token.expires_at.isoformat() if token.expires_at else 'no expiry'}. "
            "The key below is shown only once:"
        )
        self.stdout.write(key)
