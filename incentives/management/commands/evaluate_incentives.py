"""``manage.py evaluate_incentives --year Y [--rule CODE]``: write the award proposals of a year."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from incentives.models import Rule
from incentives.tasks import evaluate_incentives_task


class Command(BaseCommand):
    help = _("按生效的激励规则评审某一年度，生成拟奖补（重复运行不会重复生成）。")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help=_("评审年度"))
        parser.add_argument("--rule", help=_("只评审该规则（规则代码）"))

    def handle(self, *args, year, rule=None, **options):
        rule_id = None
        if rule:
            found = Rule.objects.filter(code=rule).first()
            if found is None:
                raise CommandError(_("没有代码为 %(code)s 的规则。") % {"code": rule})
            rule_id = found.pk
        try:
            result = evaluate_incentives_task.apply(args=(year, rule_id)).get()
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        for code, counts in result.items():
            self.stdout.write(
                _("%(code)s %(year)s：新增 %(created)s，更新 %(updated)s，撤销 %(withdrawn)s，未变 %(unchanged)s")
                % {"code": code, "year": year, "created": counts.get("created", 0),
                   "updated": counts.get("updated", 0), "withdrawn": counts.get("withdrawn", 0),
                   "unchanged": counts.get("unchanged", 0)}
            )
