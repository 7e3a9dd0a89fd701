"""The registry's links in the main navigation (core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, register

register(
    NavItem("achievements", _("成果"), "achievements:achievement_list", order=30),
    NavItem("contracts", _("转化合同"), "achievements:transformation_list", order=40),
)
