"""The dashboard in the main navigation (core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, register

register(NavItem("dashboard", _("数据看板"), "dashboards:dashboard", order=20))
