"""``python manage.py seed_demo [--seed N] [--reset]``: generate the synthetic demo data."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from achievements.demo.generator import DEFAULT_SEED
from achievements.demo.services import DemoDataError, demo_seed

from .demo_logins import print_logins


class Command(BaseCommand):
    help = "生成演示数据（模拟）：104个单位的科技成果、受让方和转化合同，以及演示账号。重复运行不会重复生成。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=gettext("随机种子（默认 %(seed)s）") % {"seed": DEFAULT_SEED},
        )
        parser.add_argument(
            "--reset", action="store_true", help=gettext("先删除全部演示数据和演示账号，再重新生成")
        )
        parser.add_argument(
            "--no-logins", action="store_true", help=gettext("不创建演示账号（DEBUG 关闭时默认不创建）")
        )
        parser.add_argument("--with-logins", action="store_true", help=gettext("DEBUG 关闭时也创建演示账号"))

    def handle(self, *args, seed, reset, no_logins, with_logins, **options):
        logins = not no_logins and (settings.DEBUG or with_logins)
        try:
            result = demo_seed(seed=seed, reset=reset, logins=logins)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        counts = "，".join(f"{name} {count}" for name, count in result.counts.items())
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("已生成演示数据（seed=%(seed)s，用时 %(seconds).1f 秒）：%(counts)s")
                    % {"seed": seed, "seconds": result.seconds, "counts": counts}
                )
            )
        else:
            self.stdout.write(
                gettext("演示数据已存在（seed=%(seed)s），未重复生成：%(counts)s")
                % {"seed": seed, "counts": counts}
            )
        if logins:
            print_logins(self.stdout, result.logins)
