"""``manage.py recompute_stats [--year Y]``: run the statistics recompute in this process."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dashboards import engine
from dashboards.tasks import recompute_full_task, recompute_incremental_task


class Command(BaseCommand):
    help = _("重新计算统计快照（与夜间任务相同）；--year 只重算该年及以后各年。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, help=_("只重算该年及以后各年（该年的变更会影响以后各年的存量指标）")
        )
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help=_("只在统计快照落后于记录时重算（无快照、跨年或有未计算的变更）；已是最新则不重算"),
        )

    def handle(self, *args, year=None, if_needed=False, **options):
        if if_needed and year is not None:
            raise CommandError(_("--if-needed 与 --year 不能同时使用。"))
        if if_needed:
            result = engine.recompute_if_needed()
            if result["kind"] == "none":
                self.stdout.write(_("统计快照已是最新（版本 %(version)s），无需重算。") % {"version": result["version"]})
                return
        elif year is None:
            result = recompute_full_task.apply().get()
        else:
            if year < 1985 or year > engine.current_year():
                raise CommandError(_("年份应在1985年至今年之间。"))
            from achievements.models import Unit

            engine.mark_dirty(unit_ids=Unit.objects.values_list("id", flat=True), years=[year])
            result = recompute_incremental_task.apply().get()
        self.stdout.write(
            _("统计快照已更新：%(kind)s，版本 %(version)s，修订号 %(revision)s")
            % {"kind": result["kind"], "version": result["version"], "revision": result["revision"]}
        )
