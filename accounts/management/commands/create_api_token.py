"""Issue an API token for a user and print its key (shown only this once).

    python manage.py create_api_token USERNAME [--name NAME] [--read-only] [--expires-days N]
                                               [--language zh-hans|en]

The key alone goes to standard output, so that a script can capture it:
``KEY=$(python manage.py create_api_token alice --read-only)``; the details go to standard error, in
the language given by ``--language``, else the ``LANGUAGE`` environment variable (``en_US:en`` …),
else the site's default (Simplified Chinese), with times in the site's local time zone.
"""

import datetime
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import api_token_create


def command_language(requested: str | None) -> str:
    """The supported language for ``--language`` or ``$LANGUAGE`` (first of a colon list, POSIX
    spelling such as ``en_US`` or ``zh_CN`` accepted), else ``settings.LANGUAGE_CODE``."""
    candidates = [requested] if requested else []
    candidates += [part for part in os.environ.get("LANGUAGE", "").split(":") if part]
    for candidate in candidates:
        code = translation.to_language(candidate.split(".")[0])
        if code in ("zh-cn", "zh", "zh-sg"):
            code = "zh-hans"
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            if requested and candidate == requested:
                raise CommandError(
                    f"Unknown language {requested!r}: choose one of "
                    + ", ".join(c for c, _name in settings.LANGUAGES)
                ) from None
    return settings.LANGUAGE_CODE


def local_time(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print its key (it is not stored and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="client system using the token (default: 'cli')")
        parser.add_argument("--description", default="")
        parser.add_argument("--read-only", action="store_true", help="the token may only read (GET)")
        parser.add_argument("--expires-days", type=int, default=None, help="expire after N days")
        parser.add_argument(
            "--language",
            default=None,
            help="language of the messages (zh-hans, en); default: $LANGUAGE, else the site's default",
        )

    def handle(self, *args, language, **options):
        with translation.override(command_language(language)):
            self.issue(**options)

    def issue(self, *, username, name, description, read_only, expires_days, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(_("没有名为 %(username)s 的用户。") % {"username": username}) from exc
        if not user.is_active:
            raise CommandError(_("用户 %(username)s 已停用。") % {"username": username})
        if expires_days is not None and expires_days < 1:
            raise CommandError(_("--expires-days 至少为 1。"))
        expires_at = timezone.now() + datetime.timedelta(days=expires_days) if expires_days else None
        token, key = api_token_create(
            user=user,
            name=name or "cli",
            description=description,
            read_only=read_only,
            expires_at=expires_at,
        )
        scope = _("全部单位") if user.is_staff else _("单位 %(code)s") % {"code": user.unit.code}
        mode = _("只读") if read_only else _("读写")
        expiry = (
            _("有效期至 %(time)s") % {"time": local_time(token.expires_at)}
            if token.expires_at
            else _("永不过期")
        )
        self.stderr.write(
            _(
                "已为 %(user)s 签发令牌 %(prefix)s…（%(scope)s，%(mode)s，%(expiry)s），"
                "签发时间 %(created)s。下面的密钥只显示这一次："
            )
            % {
                "user": user.username,
                "prefix": token.key_prefix,
                "scope": scope,
                "mode": mode,
                "expiry": expiry,
                "created": local_time(token.created_at),
            }
        )
        self.stdout.write(key)
