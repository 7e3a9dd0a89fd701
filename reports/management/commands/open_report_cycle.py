"""``python manage.py open_report_cycle --year Y [--deadline YYYY-MM-DD]``: open the reporting
cycle of year Y (docs/reports.md, "The cycle"): a draft report, prefilled from the registry, for every university
and institute that owns achievements. Running it again adds the units that appeared since and, with
``--deadline``, moves the deadline."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from reports.selectors import registry_freshness_warning
from reports.services import cycle_open


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(gettext("--deadline 应为 YYYY-MM-DD 格式的日期，收到“%(value)s”。") % {"value": value}) from None


class Command(BaseCommand):
    help = "开启某年度的成果转化年度报告填报周期：为每个拥有成果的高校和科研院所生成预填的报告草稿。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help=gettext("报告年度"))
        parser.add_argument("--deadline", type=_date, help=gettext("报送截止日期（默认次年5月31日）"))

    def handle(self, *args, year, deadline, **options):
        try:
            cycle, created = cycle_open(year=year, deadline=deadline, acting_user=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        warning = registry_freshness_warning()
        if warning:
            self.stderr.write(warning)
        self.stdout.write(
            gettext("已开启%(cycle)s填报（截止 %(deadline)s）：新建报告 %(created)s 份，共 %(total)s 份。")
            % {
                "cycle": cycle,
                "deadline": cycle.deadline.isoformat(),
                "created": created,
                "total": cycle.reports.filter(is_current=True).count(),
            }
        )
