"""The annual reports' link in the main navigation (core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, register

from .policies import can_see_reports

register(NavItem("annual_reports", _("年度报告"), "reports:report_list", order=45, visible=can_see_reports))
