"""``manage.py metrics_doc [--check]``: write the metric tables of docs/metrics.md from the catalogue."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dashboards.catalogue import docs_with_table

DOC = Path(settings.BASE_DIR) / "docs" / "metrics.md"


class Command(BaseCommand):
    help = _(
        "根据指标目录（dashboards/catalogue.py）重写 docs/metrics.md 中的指标表；--check 只检查是否最新。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help=_("只检查，不写入；过期时退出码为1"))

    def handle(self, *args, check=False, **options):
        current = DOC.read_text(encoding="utf-8")
        wanted = docs_with_table(current)
        if wanted == current:
            self.stdout.write(_("docs/metrics.md 已是最新。"))
            return
        if check:
            raise CommandError(_("docs/metrics.md 的指标表已过期：运行 python manage.py metrics_doc。"))
        DOC.write_text(wanted, encoding="utf-8")
        self.stdout.write(_("已更新 docs/metrics.md。"))
