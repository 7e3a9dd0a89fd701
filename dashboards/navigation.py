"""The dashboard in the main navigation (core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import HelpTopic, NavItem, register

register(
    NavItem("dashboard", _("数据看板"), "dashboards:dashboard", order=20),
    # The help page of the dashboard (docs/help.md).
    HelpTopic("dashboard", _("数据看板"), "dashboards/help.html", paths=("/dashboard/",), order=30),
)
