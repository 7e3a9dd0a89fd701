"""``manage.py refresh_use_before_transfer [--on YYYY-MM-DD]``: build the use-before-transfer list now
(the monthly beat job does the same on the 1st of every month)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.tasks import listing_refresh_task


class Command(BaseCommand):
    help = _("生成先使用后付费清单（与每月任务相同）。")

    def add_arguments(self, parser):
        parser.add_argument("--on", help=_("生成日期 YYYY-MM-DD（默认今天）"))

    def handle(self, *args, on=None, **options):
        if on:
            try:
                day = datetime.date.fromisoformat(on)
            except ValueError:
                raise CommandError(_("--on 应为 YYYY-MM-DD。")) from None
            if not datetime.date(1985, 1, 1) <= day <= timezone.localdate():
                raise CommandError(_("--on 应在1985-01-01至今天之间。"))
        result = listing_refresh_task.apply(args=(on,)).get()
        self.stdout.write(
            _("清单 %(run_on)s：%(listed)s 条（新列入 %(added)s，移出 %(removed)s）") % result
        )
