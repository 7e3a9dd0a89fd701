"""``python manage.py demo_logins``: print the demo logins (username, password, role, unit)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from achievements.demo.services import demo_logins

ROLE_LABELS = {"superuser": _("超级管理员"), "staff": _("厅工作人员"), "unit": _("单位用户")}


def print_logins(stdout, logins) -> None:
    if not logins:
        stdout.write("  " + gettext("（没有演示账号：请先运行 python manage.py seed_demo）"))
        return
    stdout.write("  " + gettext("演示账号（演示数据为模拟数据）："))
    for login in logins:
        unit = f"  {login.unit_name}" if login.unit_name else ""
        stdout.write(
            f"    {login.username:<8} {gettext('密码')} {login.password:<18} {ROLE_LABELS[login.role]}{unit}"
        )


class Command(BaseCommand):
    help = "列出演示账号（用户名、密码、角色、单位）。"

    def handle(self, *args, **options):
        print_logins(self.stdout, demo_logins())
